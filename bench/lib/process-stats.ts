import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Processes to meter, by role: `server`, `redis`, `etcd`, `trivial` (the driver is always `client`). */
export type ProcessGroups = Readonly<Record<string, readonly number[]>>;

const CLOCK_TICKS = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** User plus system CPU seconds a process has used, from /proc/<pid>/stat; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** A process's resident set now and at its peak, in MiB, from /proc/<pid>/status. */
export function processRssMiB(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

function driverCpuSeconds(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
}

/**
 * CPU % of one core used by each group of processes over a window, and by this driver as `client`
 * unless a `client` group names the client's processes.
 */
export class CpuMeter {
  private startedAt = 0;
  private readonly startCpu = new Map<string, number>();

  constructor(private readonly groups: ProcessGroups) {}

  /** Opens the window. */
  start(): this {
    this.startedAt = performance.now();
    if (this.groups.client === undefined) this.startCpu.set('client', driverCpuSeconds());
    for (const [role, pids] of Object.entries(this.groups)) this.startCpu.set(role, this.groupCpu(pids));
    return this;
  }

  /** Closes the window: CPU % per role, and CPU seconds per role for per-op figures. */
  stop(): { percent: Record<string, number>; seconds: Record<string, number> } {
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const seconds: Record<string, number> = {};
    if (this.groups.client === undefined) seconds.client = driverCpuSeconds() - this.startCpu.get('client')!;
    for (const [role, pids] of Object.entries(this.groups)) {
      seconds[role] = this.groupCpu(pids) - this.startCpu.get(role)!;
    }
    const percent = Object.fromEntries(
      Object.entries(seconds).map(([role, used]) => [role, round((100 * used) / wallSeconds, 1)]),
    );
    return { percent, seconds };
  }

  private groupCpu(pids: readonly number[]): number {
    return pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  }
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
