/**
 * lock.redis over the SDK stream against redlock straight to the same Redis: acquire+release cycles/s.
 * Run: node --conditions=source --import tsx bench/redis-cycle.ts  (not a test)
 * Env: BENCH_SECONDS (5), BENCH_CONCURRENCY (64), BENCH_ROUNDS (3, interleaved), BENCH_ONLY (leasehold|redlock),
 * BENCH_PROFILE_DIR (writes the server's .cpuprofile there), BENCH_SERVER_NODE_OPTIONS (e.g. --perf-basic-prof).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { LeaseholdClient } from '@leasehold/client';
import { dataDirWithComponent } from '../packages/server/test/support/components.js';
import { RedisServer } from '../packages/server/test/support/redis-harness.js';
import { spawnServer } from '../packages/server/test/support/server-process.js';
import { countCycles } from './lib/closed-loop.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ONLY = process.env.BENCH_ONLY;
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const WARMUP_MS = 1_000;

/** The little of redlock 5 used here (its types sit outside its `exports` map, out of NodeNext's sight). */
interface Redlock {
  acquire(resources: string[], ttlMs: number): Promise<{ release(): Promise<unknown> }>;
}
const { default: Redlock } = createRequire(import.meta.url)('redlock') as {
  default: new (clients: Redis[], options: { retryCount: number }) => Redlock;
};
const PRELOAD = new URL('./cpu-profile.mjs', import.meta.url).pathname;

/** A process's user+system CPU in µs, read from /proc (clock ticks of 10 ms). */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** A process's write syscalls so far (/proc/<pid>/io). */
function writesOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  return Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}

/** Redis's count of socket reads it served: per cycle, how many pipelines the commands came in. */
async function redisReads(): Promise<number> {
  const stats = await direct.info('stats');
  return Number(/total_reads_processed:(\d+)/.exec(stats)?.[1] ?? 0);
}

/** Runs `cycle` on CONCURRENCY workers for WARMUP_MS, then SECONDS; returns cycles/s and CPU µs per cycle. */
async function drive(
  label: string,
  cycle: (n: number) => Promise<void>,
  pids: Record<string, number | undefined>,
) {
  const run = (ms: number) => countCycles(CONCURRENCY, ms, cycle);
  await run(WARMUP_MS);
  if (PROFILE_DIR && pids.server !== undefined) process.kill(pids.server, 'SIGUSR2');
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
  const client = process.cpuUsage();
  const reads = await redisReads();
  const writes = writesOf(pids.server);
  const started = performance.now();
  const cycles = await run(SECONDS * 1_000);
  const rate = cycles / ((performance.now() - started) / 1_000);
  const used = process.cpuUsage(client);
  const readsPerCycle = ((await redisReads()) - reads) / cycles;
  const writesPerCycle = (writesOf(pids.server) - writes) / cycles;
  const cpu = Object.entries(pids).map(
    ([k, pid]) => `${k} ${((cpuOf(pid) - before[k]!) / cycles).toFixed(1)}`,
  );
  cpu.push(`bench ${((used.user + used.system) / cycles).toFixed(1)}`);
  console.log(
    `${label.padEnd(10)} ${Math.round(rate).toString().padStart(6)} cycles/s  µs CPU/cycle: ${cpu.join(', ')}; Redis reads/cycle ${readsPerCycle.toFixed(2)}, server writes/cycle ${writesPerCycle.toFixed(2)}`,
  );
  return rate;
}

const binary = execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim();
const redis = await RedisServer.start(binary);
const redisPid = redis.pid;
const dataDir = dataDirWithComponent('lock.redis', { redisHost: redis.address });
const server = await spawnServer({
  dataDir,
  env: {
    NODE_OPTIONS: [
      PROFILE_DIR ? `--import ${PRELOAD}` : '',
      process.env.BENCH_SERVER_NODE_OPTIONS ?? '',
    ].join(' '),
    ...(PROFILE_DIR ? { CPU_PROFILE_DIR: PROFILE_DIR } : {}),
  },
}).catch(async (error: unknown) => {
  // A server that would not start must not leave its redis-server behind.
  await redis.destroy();
  throw error;
});
const client = new LeaseholdClient({ url: server.url });
const direct = new Redis({ host: '127.0.0.1', port: redis.port });
const redlock = new Redlock([direct], { retryCount: 0 });
const lease = await client.leases.grant({ ttlMs: 600_000 });

const leasehold = async (n: number) => {
  const lock = await client.locks.tryAcquire(`bench:${n}`, { lease });
  if (!lock.acquired) throw new Error('not acquired');
  await lock.release();
};
const peer = async (n: number) => {
  const lock = await redlock.acquire([`redlock:${n}`], 30_000);
  await lock.release();
};

const results: Record<string, number[]> = { leasehold: [], redlock: [] };
console.log(
  `server pid ${server.child.pid}, redis pid ${redisPid}; c=${CONCURRENCY}, ${SECONDS} s x ${ROUNDS} rounds, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
try {
  for (let round = 0; round < ROUNDS; round++) {
    if (ONLY !== 'redlock')
      results.leasehold!.push(
        await drive('leasehold', leasehold, { server: server.child.pid, redis: redisPid }),
      );
    if (ONLY !== 'leasehold') results.redlock!.push(await drive('redlock', peer, { redis: redisPid }));
  }
  if (process.env.BENCH_COMMANDSTATS) console.log(await direct.info('commandstats'));
} finally {
  await lease.revoke().catch(() => undefined);
  await client.close();
  direct.disconnect();
  await server.stop('SIGTERM');
  await redis.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const [ours, theirs] = [median(results.leasehold!), median(results.redlock!)];
console.log(
  `median: leasehold ${Math.round(ours)}, redlock ${Math.round(theirs)}, ratio ${(ours / theirs).toFixed(2)}x`,
);
console.log(
  `load after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
