/**
 * The lock.redis store alone, in this process (no stream, no SDK): acquire+release cycles/s and this
 * process's CPU per cycle, i.e. what the store and ioredis cost the server. A driver to profile with
 * `node --cpu-prof`. Run: node --conditions=source --import tsx bench/redis-store-cycle.ts  (not a test)
 * Env: BENCH_SECONDS (5), BENCH_CONCURRENCY (64), BENCH_REDLOCK=1 (Redlock over three Redis instead of one),
 * BENCH_WATCH=1 (one watcher of every event, as the server's metrics keep).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRedisStore } from '../packages/server/src/stores/redis/index.js';
import { RedisServer } from '../packages/server/test/support/redis-harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const REDLOCK = process.env.BENCH_REDLOCK === '1';

function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const binary = execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim();
const servers = await Promise.all(Array.from({ length: REDLOCK ? 3 : 1 }, () => RedisServer.start(binary)));
const addresses = servers.map((s) => s.address).join(',');
const store = await createRedisStore(
  'lockstore',
  new Map([[REDLOCK ? 'redishosts' : 'redishost', addresses]]),
);
const redisCpu = () => servers.reduce((sum, s) => sum + cpuOf(s.pid!), 0);
if (process.env.BENCH_WATCH === '1') store.watch.subscribe({ prefix: '', onEvent: () => undefined });
const lease = await store.leases.grant({ app: 'bench', ttlMs: 600_000 });
const run = async (ms: number) => {
  const deadline = performance.now() + ms;
  let cycles = 0;
  const worker = async (n: number) => {
    const key = `lock||bench:${n}`;
    while (performance.now() < deadline) {
      const result = await store.locks.acquire({ app: 'bench', key, leaseId: lease.id });
      if (!result.acquired) throw new Error('not acquired');
      await store.locks.release(key, lease.id, 'bench');
      cycles++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));
  return cycles;
};
try {
  await run(1_000);
  const [self, server] = [process.cpuUsage(), redisCpu()];
  const started = performance.now();
  const cycles = await run(SECONDS * 1_000);
  const rate = cycles / ((performance.now() - started) / 1_000);
  const used = process.cpuUsage(self);
  const perCycle = (used.user + used.system) / cycles;
  const redisPerCycle = (redisCpu() - server) / cycles;
  console.log(
    `${REDLOCK ? 'redlock store' : 'store'} c=${CONCURRENCY}: ${Math.round(rate)} cycles/s, µs CPU/cycle: store+ioredis ${perCycle.toFixed(1)}, redis ${redisPerCycle.toFixed(1)}`,
  );
} finally {
  await store.close();
  await Promise.all(servers.map((s) => s.destroy()));
}
