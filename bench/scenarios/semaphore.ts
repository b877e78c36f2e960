import { Redis } from 'ioredis';
import { Semaphore } from 'redis-semaphore';
import { ensure } from '../lib/bench-path.js';
import { pathSelected, storePaths } from '../lib/bench-options.js';
import type { BenchOptions } from '../lib/bench-options.js';
import { storeHas } from '../lib/capability.js';
import type { Environment, StoreKind } from '../lib/environment.js';
import { measureHandOffs } from '../lib/hand-off-loop.js';
import type { ResultSink } from '../lib/result-sink.js';
import { withWorkerLeases } from '../paths/leasehold-paths.js';

const WORKERS = 16;
const LIMIT = 4;
/** The peer: redis-semaphore's `Semaphore` on the Redis that lock.redis uses. */
export const REDIS_SEMAPHORE = 'redis-semaphore';
/** The stores this scenario measures: the in-process engine, and the one its peer shares a Redis with. */
const STORES: readonly StoreKind[] = ['memory', 'redis'];

/**
 * 16 workers on one semaphore of 4 permits, each taking one permit (a blocking wait) and releasing
 * it at once. Latencies are hand-offs: a release to the grant it made room for. Leasehold's waiters
 * queue in FIFO and are granted inside the releasing step; redis-semaphore's `Semaphore` (its
 * defaults: retry every 10 ms, give up after 10 s, permits expire after 10 s) polls, so its
 * hand-off is about its retry interval and its grants come in no particular order.
 */
export async function runSemaphore(
  env: Environment,
  options: BenchOptions,
  sink: ResultSink,
  rep: number,
): Promise<void> {
  const name = `semaphore/${sink.run}/${rep}`;
  const key = { scenario: 'semaphore', concurrency: WORKERS, rep };
  for (const { store, path } of storePaths(options).filter(({ store }) => STORES.includes(store))) {
    if (!(await storeHas(env, store, 'semaphores', sink, `semaphore ${path}`))) continue;
    global.gc?.();
    await sink.measure({ ...key, path }, () => leaseholdPermits(env, store, options, name));
  }
  if (options.stores.includes('redis') && pathSelected(options, REDIS_SEMAPHORE)) {
    global.gc?.();
    await sink.measure({ ...key, path: REDIS_SEMAPHORE }, () => redisSemaphore(env, options, name));
  }
}

function leaseholdPermits(env: Environment, store: StoreKind, options: BenchOptions, name: string) {
  return withWorkerLeases(env, store, WORKERS, ({ client, leases, processes }) =>
    measureHandOffs(options, { workers: WORKERS, limit: LIMIT, processes }, async (worker) => {
      const lease = leases[worker]!;
      const permit = await client.semaphores.acquire(name, { lease, limit: LIMIT, waitMs: 30_000 });
      ensure(permit.acquired, 'acquire', { available: permit.available, waiters: permit.waiters });
      return { token: permit.fencingToken!, release: () => permit.release() };
    }),
  );
}

/** One `Semaphore` per worker (an instance is one holder), all over one ioredis connection. */
async function redisSemaphore(env: Environment, options: BenchOptions, name: string) {
  const redis = await env.redis();
  const client = new Redis(redis.port, '127.0.0.1');
  const semaphores = Array.from({ length: WORKERS }, () => new Semaphore(client, name, LIMIT));
  try {
    const processes = { redis: [redis.pid!] };
    return await measureHandOffs(options, { workers: WORKERS, limit: LIMIT, processes }, async (worker) => {
      const semaphore = semaphores[worker]!;
      await semaphore.acquire();
      return { release: () => semaphore.release() };
    });
  } finally {
    await Promise.allSettled(semaphores.filter((s) => s.isAcquired).map((s) => s.release()));
    await client.quit();
  }
}
