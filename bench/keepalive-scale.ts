/**
 * Keep-alive at scale: a server child process on `lock.memory` and one SDK client over the stream
 * that grants N leases, each holding one lock, then keeps them alive on a 5 s heartbeat for a
 * steady-state window. Reports the grant rate, the heartbeat round trip, the server's CPU and RSS
 * and the client's RSS. Not a test.
 * Run: node --expose-gc --conditions=source --import tsx bench/keepalive-scale.ts
 * Env: BENCH_LEASES (default "10000,100000"), BENCH_STEADY_S (default 30), BENCH_TTL_MS (30000),
 * BENCH_HEAP_SNAPSHOT=1 writes the client's heap snapshot at the end; BENCH_CPU_PROF=<dir> writes
 * the server's CPU profile there (it is stopped with SIGTERM so that the profile is written).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { LeaseholdClient } from '@leasehold/client';
import type { Lease } from '@leasehold/client';
import { dataDirWithComponent } from '../packages/server/test/support/components.js';

const SIZES = (process.env.BENCH_LEASES ?? '10000,100000').split(',').map(Number);
const STEADY_S = Number(process.env.BENCH_STEADY_S ?? 30);
const TTL_MS = Number(process.env.BENCH_TTL_MS ?? 30_000);
const IN_FLIGHT = 256;
const MIB = 1024 * 1024;
const TICKS_PER_S = 100; // USER_HZ on Linux
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;

/** The process's user+system CPU time in seconds, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

/** Current and peak RSS of a process, in MiB. */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** Nearest-rank percentile of a handful of samples (a few heartbeats per window). */
function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Times every heartbeat the client's renewer sends (`link.heartbeat`, or `link.ping` before it). */
function timeHeartbeats(client: LeaseholdClient, rtts: number[]): void {
  const link = (client.transport as any).renewer.link as Record<string, (...args: any[]) => Promise<unknown>>;
  const name = 'heartbeat' in link ? 'heartbeat' : 'ping';
  const send = link[name]!.bind(link);
  link[name] = async (...args: unknown[]) => {
    const started = performance.now();
    const reply = await send(...args);
    rtts.push(performance.now() - started);
    return reply;
  };
}

// A loopback address of its own, so other processes' benches on this machine cannot take the port.
const HOST = `127.42.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The server from source, as its own process, on free loopback ports. */
async function spawnServer(dataDir: string) {
  const port = await freePort();
  const main = fileURLToPath(new URL('../packages/server/src/main.ts', import.meta.url));
  const args = ['--conditions=source', '--import', 'tsx', main, '--host', HOST, '--port', String(port)];
  if (CPU_PROF_DIR) args.unshift('--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`);
  args.push('--grpc-port', String(await freePort()), '--data-dir', dataDir);
  args.push('--components-path', `${dataDir}/components`);
  const env = { ...process.env, LEASEHOLD_API_TOKEN: '', DAPR_API_TOKEN: '', LEASEHOLD_LOG_LEVEL: 'error' };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://${HOST}:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      if (tries > 400) throw new Error('server did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, then the exit: a profiled server writes its profile on the way out. */
async function stopGracefully(child: ReturnType<typeof spawn>): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
}

async function run(n: number): Promise<Record<string, number>> {
  const dataDir = dataDirWithComponent('lock.memory', {});
  const server = await spawnServer(dataDir);
  const pid = server.child.pid!;
  const client = new LeaseholdClient({ url: server.url, heartbeatMs: 5_000 });
  const rtts: number[] = [];
  timeHeartbeats(client, rtts);
  const leases: Lease[] = [];
  const locks: unknown[] = [];
  try {
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const lease = await client.leases.grant({ ttlMs: TTL_MS });
        locks.push(await client.locks.tryAcquire(`ka/${i}`, { lease }));
        leases.push(lease);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const grantRate = n / ((performance.now() - started) / 1_000);
    rtts.length = 0;
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, STEADY_S * 1_000));
    const serverCpu = (100 * (cpuSeconds(pid) - cpu0)) / ((performance.now() - t0) / 1_000);
    const lost = leases.filter((l) => !l.live).length;
    global.gc?.();
    if (process.env.BENCH_HEAP_SNAPSHOT) console.error(`heap snapshot: ${writeHeapSnapshot()}`);
    const { rss, peak } = rssOf(pid);
    return {
      leases: n,
      grantPerS: Math.round(grantRate),
      serverCpuPct: Number(serverCpu.toFixed(1)),
      rttP50Ms: Number(percentile(rtts, 50).toFixed(1)),
      rttP99Ms: Number(percentile(rtts, 99).toFixed(1)),
      heartbeats: rtts.length,
      serverRssMiB: Math.round(rss),
      serverPeakMiB: Math.round(peak),
      clientRssMiB: Math.round(process.memoryUsage().rss / MIB),
      clientHeapMiB: Math.round(process.memoryUsage().heapUsed / MIB),
      lost,
    };
  } finally {
    await client.close();
    if (CPU_PROF_DIR) await stopGracefully(server.child);
    server.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Each size runs in a process of its own, so the client's RSS is that size's alone.
if (process.env.BENCH_ONE !== undefined) {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const row = await run(Number(process.env.BENCH_ONE));
  console.log(JSON.stringify({ ...row, steadyS: STEADY_S, ttlMs: TTL_MS, load }));
} else {
  for (const n of SIZES) {
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_ONE: String(n) },
      stdio: 'inherit',
    });
  }
}
