/**
 * Server CPU per Dapr lock cycle (TryLock + Unlock on `lock.memory`) over HTTP and over gRPC, at one
 * fixed rate from several client processes, so that no client is the limit: the fair reading of
 * issue 12's "Dapr gRPC server CPU per op at most 1.2× Dapr HTTP's". Each client process paces its
 * workers to its share of the rate and reports its own CPU; the server's CPU comes from /proc.
 * Run: npm run bench:dapr-rate  (BENCH_RATE cycles/s, default 1500; BENCH_CLIENTS processes, default 3;
 * BENCH_WORKERS per process, default 16; BENCH_SECONDS 5; BENCH_REPEATS 3; BENCH_CHANNELS gRPC
 * channels per process, default 2; BENCH_PROFILE=<dir> writes the server's .cpuprofile there;
 * BENCH_APIS=dapr-grpc measures one API only).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Pool } from 'undici';
import { dataDirWithComponent } from '../packages/server/test/support/components.js';
import { connectRpc } from '../packages/server/test/support/grpc-client.js';
import { spawnServer } from '../packages/server/test/support/server-process.js';
import { processCpuSeconds } from './lib/process-stats.js';

const RATE = Number(process.env.BENCH_RATE ?? 1500);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 3);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 2);
const PROFILE = process.env.BENCH_PROFILE;
const APIS = (process.env.BENCH_APIS ?? 'dapr-http,dapr-grpc').split(',') as Api[];
const WARMUP_SECONDS = 2;
/** Each channel on a connection of its own: grpc-js would otherwise share one per target. */
const OWN_CONNECTION = { 'grpc.use_local_subchannel_pool': 1 };

type Api = 'dapr-http' | 'dapr-grpc';
type Cycle = (worker: number) => Promise<void>;

/** What a client process reports when its window ends. */
interface ClientReport {
  readonly cycles: number;
  readonly late: number;
  readonly cpuPercent: number;
}

function check(ok: boolean, what: string, got: unknown): void {
  if (!ok) throw new Error(`${what}: got ${JSON.stringify(got)}`);
}

function httpCycle(url: string, tag: string): Cycle {
  const pool = new Pool(url, { connections: WORKERS });
  const post = async (path: string, body: unknown) => {
    const headers = { 'content-type': 'application/json' };
    const response = await pool.request({ method: 'POST', path, headers, body: JSON.stringify(body) });
    return (await response.body.json()) as Record<string, unknown>;
  };
  return async (n) => {
    const lock = { resourceId: `rate/${tag}/${n}`, lockOwner: `w${n}` };
    const got = await post('/v1.0-alpha1/lock/lockstore', { ...lock, expiryInSeconds: 60 });
    check(got.success === true, 'TryLock', got);
    check((await post('/v1.0-alpha1/unlock/lockstore', lock)).status === 0, 'Unlock', lock);
  };
}

async function grpcCycle(port: number, tag: string): Promise<Cycle> {
  const rpcs = await Promise.all(
    Array.from({ length: CHANNELS }, () => connectRpc(port, undefined, OWN_CONNECTION)),
  );
  return async (n) => {
    const rpc = rpcs[n % rpcs.length]!;
    const lock = { storeName: 'lockstore', resourceId: `rate/${tag}/${n}`, lockOwner: `w${n}` };
    const got = await rpc.call('TryLockAlpha1', { ...lock, expiryInSeconds: 60 });
    check(got.success === true, 'TryLockAlpha1', got);
    const released = await rpc.call('UnlockAlpha1', lock);
    check(released.status === 0 || released.status === 'SUCCESS', 'UnlockAlpha1', released);
  };
}

/** A client process: `WORKERS` workers share one schedule of `rate` cycles/s until `untilMs`. */
async function clientMain(api: Api, target: string, rate: number, tag: string): Promise<void> {
  const cycle = api === 'dapr-http' ? httpCycle(target, tag) : await grpcCycle(Number(target), tag);
  const interval = 1000 / rate;
  const run = async (untilMs: number) => {
    let next = performance.now();
    let cycles = 0;
    let late = 0;
    const worker = async (n: number) => {
      for (;;) {
        const slot = next;
        next += interval;
        if (slot >= untilMs) return;
        const wait = slot - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        else if (wait < -50) late++;
        await cycle(n);
        cycles++;
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, n) => worker(n)));
    return { cycles, late };
  };
  await run(performance.now() + WARMUP_SECONDS * 1000);
  process.send!('warm');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { cycles, late } = await run(started + SECONDS * 1000);
  const used = process.cpuUsage(cpu);
  const cpuPercent = Math.round((used.user + used.system) / 10 / (performance.now() - started));
  process.send!({ cycles, late, cpuPercent } satisfies ClientReport);
}

function reportOf(child: ChildProcess): { warm: Promise<void>; done: Promise<ClientReport> } {
  let warmed!: () => void;
  const warm = new Promise<void>((resolve) => (warmed = resolve));
  const done = new Promise<ClientReport>((resolve, reject) => {
    child.on('message', (message) => (message === 'warm' ? warmed() : resolve(message as ClientReport)));
    child.once('exit', (code) => reject(new Error(`client exited with ${code}`)));
  });
  done.catch(() => undefined);
  return { warm, done };
}

/** One measured window of `api`: server µs per cycle, each client's CPU %. */
async function measure(api: Api, url: string, grpcPort: number, serverPid: number, rep: number) {
  const target = api === 'dapr-http' ? url : String(grpcPort);
  const children = Array.from({ length: CLIENTS }, (_, k) =>
    fork(new URL(import.meta.url).pathname, ['client', api, target, String(RATE / CLIENTS), `${rep}-${k}`], {
      execArgv: ['--conditions=source', '--import', 'tsx'],
    }),
  );
  const reports = children.map(reportOf);
  await Promise.all(reports.map((r) => r.warm));
  if (PROFILE) process.kill(serverPid, 'SIGUSR2');
  const before = processCpuSeconds(serverPid);
  const done = await Promise.all(reports.map((r) => r.done));
  const serverSeconds = processCpuSeconds(serverPid) - before;
  const cycles = done.reduce((sum, r) => sum + r.cycles, 0);
  return {
    api,
    cyclesPerSecond: Math.round(cycles / SECONDS),
    serverUsPerCycle: Math.round((serverSeconds * 1e6) / cycles),
    serverCpuPercent: Math.round((serverSeconds * 100) / SECONDS),
    clientCpuPercent: done.map((r) => r.cpuPercent),
    late: done.reduce((sum, r) => sum + r.late, 0),
  };
}

async function main(): Promise<void> {
  const dataDir = dataDirWithComponent('lock.memory', {});
  const preload = `--import ${new URL('cpu-profile.mjs', import.meta.url).pathname}`;
  const profile = PROFILE ? { NODE_OPTIONS: preload, CPU_PROFILE_DIR: PROFILE } : {};
  const server = await spawnServer({ dataDir, env: { LEASEHOLD_LOG_LEVEL: 'error', ...profile } });
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(`rate ${RATE}/s from ${CLIENTS} clients × ${WORKERS} workers, ${SECONDS} s, load ${load()}`);
  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  try {
    for (let rep = 0; rep < REPEATS; rep++) {
      for (const api of APIS) {
        const row = await measure(api, server.url, server.grpcPort, server.child.pid!, rep);
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const median = (api: Api) => {
    const values = rows.filter((r) => r.api === api).map((r) => r.serverUsPerCycle);
    return values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  };
  const [http, grpc] = [median('dapr-http'), median('dapr-grpc')];
  console.log(
    `medians (load ${load()}): server µs/cycle HTTP ${http}, gRPC ${grpc}, ratio ${(grpc / http).toFixed(2)}`,
  );
}

if (process.argv[2] === 'client') {
  const [, , , api, target, rate, tag] = process.argv;
  await clientMain(api as Api, target!, Number(rate), tag!);
  process.exit(0);
} else {
  await main();
}
