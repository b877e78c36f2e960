import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

/** The packages whose versions a run records. */
const PACKAGES = [
  'redlock',
  'redis-semaphore',
  'ioredis',
  'etcd3',
  'undici',
  '@grpc/grpc-js',
  'hdr-histogram-js',
];

/** What a table needs to say about where and with what it was measured. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly redis: string;
  readonly etcd: string;
  readonly packages: Record<string, string>;
}

function firstLine(command: string, args: string[], pattern: RegExp): string {
  try {
    const text = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return pattern.exec(text)?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** Reads the machine, Node, the backends' and the peers' versions. */
export function describeMachine(repoRoot: string): Machine {
  const packages: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      const manifest = readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8');
      // redlock 5's manifest spells its version with a leading `v`.
      packages[name] = (JSON.parse(manifest) as { version: string }).version.replace(/^v/, '');
    } catch {
      packages[name] = 'missing';
    }
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: firstLine('redis-server', ['--version'], /v=(\S+)/),
    etcd: firstLine('etcd', ['--version'], /etcd Version: (\S+)/),
    packages,
  };
}

/** Samples the 1-minute load average every few seconds, for the range a run saw. */
export class LoadWatch {
  private low = loadavg()[0]!;
  private high = this.low;
  private readonly timer = setInterval(() => this.sample(), 5_000).unref();

  /** Stops sampling; returns the lowest and highest 1-minute load average seen. */
  stop(): { low: number; high: number } {
    clearInterval(this.timer);
    this.sample();
    return { low: this.low, high: this.high };
  }

  private sample(): void {
    const now = loadavg()[0]!;
    this.low = Math.min(this.low, now);
    this.high = Math.max(this.high, now);
  }
}
