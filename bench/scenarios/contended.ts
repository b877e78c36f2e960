import { ensure } from '../lib/bench-path.js';
import { storePaths } from '../lib/bench-options.js';
import type { BenchOptions } from '../lib/bench-options.js';
import type { Environment, StoreKind } from '../lib/environment.js';
import { measureHandOffs } from '../lib/hand-off-loop.js';
import type { ResultSink } from '../lib/result-sink.js';
import { withWorkerLeases } from '../paths/leasehold-paths.js';

const WORKERS = 16;

/**
 * 16 workers on one lock, each waiting in the FIFO queue, taking the lock and releasing it at once.
 * The latencies are hand-offs (one holder's release to the next one's grant); every grant is
 * checked for arrival order and overlap. No peer offers a blocking wait, so Leasehold runs alone.
 */
export async function runContended(
  env: Environment,
  options: BenchOptions,
  sink: ResultSink,
  rep: number,
): Promise<void> {
  for (const { store, path } of storePaths(options)) {
    global.gc?.();
    await sink.measure({ scenario: 'contended', path, concurrency: WORKERS, rep }, () =>
      contend(env, store, options, `contended/${sink.run}/${rep}`),
    );
  }
}

function contend(env: Environment, store: StoreKind, options: BenchOptions, name: string) {
  return withWorkerLeases(env, store, WORKERS, ({ client, leases, processes }) =>
    measureHandOffs(options, { workers: WORKERS, limit: 1, processes }, async (worker) => {
      const lock = await client.locks.acquire(name, { lease: leases[worker]!, waitMs: 30_000 });
      ensure(lock.acquired, 'acquire', lock.holder);
      return { token: lock.fencingToken!, release: () => lock.release() };
    }),
  );
}
