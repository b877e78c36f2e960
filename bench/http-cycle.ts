/**
 * Acquire+release cycles over HTTP: Leasehold's native API and its Dapr APIs on `lock.memory`, each
 * in a child process, against the trivial node:http Map lock server (http-cycle-peer.ts), all driven
 * from here by undici (grpc-js for Dapr gRPC) at the same concurrency. Prints cycles/s, p50/p99 of a
 * cycle and the server's CPU per cycle, repetitions interleaved, then the medians.
 * Run: npm run bench:http-cycle  (BENCH_SECONDS, BENCH_CONCURRENCY, BENCH_REPEATS, BENCH_WARMUP_CYCLES, BENCH_PATHS=
 * native,trivial,dapr-http,dapr-grpc, each may end in `@<checkout>` to run another tree's server, e.g.
 * native@../base; BENCH_PROFILE=<dir> writes each server's .cpuprofiles under <dir>/<path>; BENCH_STALLS=1
 * prints each server's event-loop delay and GC pauses after warm-up (bench/lib/stall-probe.mjs) and
 * the driver's own loop delay, to tell where a p99 comes from).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';
import { dataDirWithComponent } from '../packages/server/test/support/components.js';
import { freePort } from '../packages/server/test/support/free-port.js';
import { connectRpc } from '../packages/server/test/support/grpc-client.js';
import { REPO_ROOT } from '../packages/server/test/support/server-process.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const PATHS = (process.env.BENCH_PATHS ?? 'native,trivial').split(',');
const PROFILE = process.env.BENCH_PROFILE;
const WARMUP_CYCLES = Number(process.env.BENCH_WARMUP_CYCLES ?? 20_000);
const STALLS = process.env.BENCH_STALLS === '1';
const MAIN = 'packages/server/src/main.ts';

/** One way to take and give back a lock; `cycle(n)` does both for worker n. */
interface Path {
  readonly pid: number;
  cycle(worker: number): Promise<void>;
  close(): Promise<void>;
}

interface Row {
  path: string;
  cyclesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The server's CPU (user and system) per cycle, and the system part of it. */
  cpuUsPerCycle: number;
  systemUsPerCycle: number;
  /** The driver's (this process's) CPU, in % of one core: near 100 it is the limit, not the server. */
  driverBusy: number;
  /** Under BENCH_STALLS: the driver's own event-loop delay p99, in ms. */
  driverLoopP99Ms?: number;
}

function check(ok: boolean, what: string, got: unknown): void {
  if (!ok) throw new Error(`${what}: got ${JSON.stringify(got)}`);
}

async function postJson(pool: Pool, path: string, body: unknown): Promise<any> {
  const response = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const value = await response.body.json();
  check(response.statusCode === 200, `${path} status ${response.statusCode}`, value);
  return value;
}

/** Leasehold's native API on lock.memory: one lease per worker, granted before the clock starts. */
async function leaseholdPath(name: string, api: Api, root: string): Promise<Path> {
  const dataDir = dataDirWithComponent('lock.memory', {});
  const [port, grpcPort] = [await freePort(), await freePort()];
  const flags = ['--port', `${port}`, '--grpc-port', `${grpcPort}`, '--data-dir', dataDir];
  const args = [...flags, '--components-path', `${dataDir}/components`];
  const child = spawnNode(name, root, MAIN, args);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY });
  for (let tries = 0; !(await healthy(pool)); tries++) {
    if (tries > 200) throw new Error('leasehold did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const close = async () => {
    await pool.close();
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const pid = child.pid;
  if (api === 'dapr-http') {
    return { pid, close, cycle: (n) => daprHttpCycle(pool, n) };
  }
  if (api === 'dapr-grpc') {
    const rpc = await connectRpc(grpcPort);
    const cycle = async (n: number) => {
      const lock = { storeName: 'lockstore', resourceId: `bench-${n}`, lockOwner: `w${n}` };
      const got = await rpc.call('TryLockAlpha1', { ...lock, expiryInSeconds: 60 });
      check(got.success === true, 'TryLockAlpha1', got);
      const released = await rpc.call('UnlockAlpha1', lock);
      check(released.status === 'SUCCESS' || released.status === 0, 'UnlockAlpha1', released);
    };
    return { pid, cycle, close: () => (rpc.close(), close()) };
  }
  const leases = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const lease = await postJson(pool, '/v1/lockstore/leases', { ttlMs: 600_000 });
      return lease.id as string;
    }),
  );
  const cycle = async (n: number) => {
    const lock = { name: `bench-${n}`, leaseId: leases[n]! };
    const got = await postJson(pool, '/v1/lockstore/locks/acquire', lock);
    check(got.acquired === true, 'acquire', got);
    const released = await postJson(pool, '/v1/lockstore/locks/release', lock);
    check(released.status === 'released', 'release', released);
  };
  return { pid, cycle, close };
}

async function daprHttpCycle(pool: Pool, n: number): Promise<void> {
  const lock = { resourceId: `bench-${n}`, lockOwner: `w${n}` };
  const got = await postJson(pool, '/v1.0-alpha1/lock/lockstore', { ...lock, expiryInSeconds: 60 });
  check(got.success === true, 'dapr lock', got);
  const released = await postJson(pool, '/v1.0-alpha1/unlock/lockstore', lock);
  check(released.status === 0, 'dapr unlock', released);
}

async function healthy(pool: Pool): Promise<boolean> {
  try {
    const response = await pool.request({ method: 'GET', path: '/healthz' });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/** A server in a child process (with --cpu-prof under BENCH_PROFILE); `printed` is its first line. */
function spawnNode(name: string, root: string, script: string, args: string[]) {
  const profile = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}/${name}`] : [];
  const probe = STALLS ? ['--import', `${REPO_ROOT}/bench/lib/stall-probe.mjs`] : [];
  const child = spawn(
    process.execPath,
    [...profile, ...probe, '--conditions=source', '--import', 'tsx', script, ...args],
    {
      cwd: root,
      env: { ...process.env, LEASEHOLD_LOG_LEVEL: 'error', LEASEHOLD_API_TOKEN: '', DAPR_API_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const printed = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.stdout.once('data', () => resolve());
  });
  printed.catch(() => undefined);
  const stop = () => (child.kill('SIGTERM'), exited);
  return { pid: child.pid!, stop, printed };
}

/** The trivial server in its own process. */
async function trivialPath(): Promise<Path> {
  const port = await freePort();
  const child = spawnNode('trivial', REPO_ROOT, 'bench/http-cycle-peer.ts', [String(port)]);
  await child.printed;
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY });
  const cycle = async (n: number) => {
    const lock = { name: `bench-${n}`, owner: `w${n}` };
    check((await postJson(pool, '/acquire', lock)).acquired === true, 'acquire', lock);
    check((await postJson(pool, '/release', lock)).released === true, 'release', lock);
  };
  const close = async () => {
    await pool.close();
    await child.stop();
  };
  return { pid: child.pid, cycle, close };
}

/** User and system CPU of a process so far, in µs (Linux /proc, 100 ticks a second). */
function cpuUs(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) * 1e4, system: Number(fields[12]) * 1e4 };
}

async function run(name: string, path: Path): Promise<Row> {
  const loop = async (until: number, histogram?: hdr.Histogram, enough = Infinity) => {
    let cycles = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, n) => {
        while (performance.now() < until && cycles < enough) {
          const started = performance.now();
          await path.cycle(n);
          histogram?.recordValue(Math.round((performance.now() - started) * 1000));
          cycles++;
        }
      }),
    );
    return cycles;
  };
  // Warm up by count, not time: on a loaded machine a second may not get the server's code optimised.
  await loop(performance.now() + 20_000, undefined, WARMUP_CYCLES);
  if (STALLS) process.kill(path.pid, 'SIGUSR2');
  const driverLoop = monitorEventLoopDelay({ resolution: 1 });
  if (STALLS) driverLoop.enable();
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  const cpuBefore = cpuUs(path.pid);
  const driverBefore = process.cpuUsage();
  const started = performance.now();
  const cycles = await loop(started + SECONDS * 1_000, histogram);
  const elapsed = (performance.now() - started) / 1_000;
  const cpuAfter = cpuUs(path.pid);
  const driver = process.cpuUsage(driverBefore);
  const system = cpuAfter.system - cpuBefore.system;
  const cpu = cpuAfter.user - cpuBefore.user + system;
  return {
    path: name,
    cyclesPerSecond: Math.round(cycles / elapsed),
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    cpuUsPerCycle: Math.round(cpu / cycles),
    systemUsPerCycle: Math.round(system / cycles),
    driverBusy: Math.round((100 * (driver.user + driver.system)) / 1e6 / elapsed),
    ...(STALLS ? { driverLoopP99Ms: Math.round(driverLoop.percentile(99) / 1e4) / 100 } : {}),
  };
}

type Api = 'native' | 'dapr-http' | 'dapr-grpc';

/** `trivial`, or a Leasehold API with the checkout whose server runs it (this one by default). */
function open(name: string): Promise<Path> {
  if (name === 'trivial') return trivialPath();
  const [api, root = REPO_ROOT] = name.split('@') as [Api, string?];
  return leaseholdPath(name.replaceAll('/', '_'), api, root);
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const rows: Row[] = [];
console.log(
  `c=${CONCURRENCY}, ${SECONDS} s, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (let repeat = 0; repeat < REPEATS; repeat++) {
  for (const name of PATHS) {
    const path = await open(name);
    try {
      const row = await run(name, path);
      rows.push(row);
      console.log(JSON.stringify(row));
    } finally {
      await path.close();
    }
  }
}
console.log(
  `medians (load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}):`,
);
for (const name of PATHS) {
  const mine = rows.filter((r) => r.path === name);
  const pick = (key: keyof Omit<Row, 'path' | 'driverLoopP99Ms'>) => median(mine.map((r) => r[key]));
  console.log(
    `${name.padEnd(10)} ${pick('cyclesPerSecond').toLocaleString()} cycles/s, p50 ${pick('p50Ms')} ms, p99 ${pick('p99Ms')} ms, server ${pick('cpuUsPerCycle')} µs CPU/cycle (${pick('systemUsPerCycle')} system), driver ${pick('driverBusy')} % busy`,
  );
}
