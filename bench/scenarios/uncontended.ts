import type { BenchPath } from '../lib/bench-path.js';
import { pathSelected } from '../lib/bench-options.js';
import type { BenchOptions } from '../lib/bench-options.js';
import { runClosedLoop } from '../lib/closed-loop.js';
import type { Environment } from '../lib/environment.js';
import type { ResultSink } from '../lib/result-sink.js';
import { daprGrpc, daprHttp, nativeHttp, sdkStream } from '../paths/leasehold-paths.js';
import { etcd3Lock, redlock, setNx, trivialHttp } from '../paths/peer-paths.js';

/** Every path of the uncontended table, peers last; `onlyAt` limits a path to some concurrencies. */
const PATHS: readonly { path: BenchPath; onlyAt?: readonly number[] }[] = [
  { path: sdkStream('memory') },
  { path: sdkStream('sqlite') },
  { path: sdkStream('redis') },
  { path: sdkStream('etcd') },
  { path: nativeHttp('memory') },
  { path: daprHttp('memory') },
  { path: daprGrpc('memory') },
  // Issue 12's target for Dapr on etcd is at c=1; more would only queue on Raft.
  { path: daprHttp('etcd'), onlyAt: [1] },
  { path: redlock },
  { path: setNx },
  { path: etcd3Lock },
  { path: trivialHttp },
];

/** The paths this run selects. */
export function uncontendedPaths(options: BenchOptions): typeof PATHS {
  return PATHS.filter(({ path }) => pathSelected(options, path.name));
}

/**
 * Uncontended cycles: every worker takes and gives back a lock of its own, closed loop. One
 * repetition runs every selected path at every concurrency, so repetitions interleave.
 */
export async function runUncontended(
  env: Environment,
  options: BenchOptions,
  sink: ResultSink,
  rep: number,
): Promise<void> {
  for (const workers of options.concurrency) {
    for (const { path, onlyAt } of uncontendedPaths(options)) {
      if (onlyAt && !onlyAt.includes(workers)) continue;
      global.gc?.();
      const key = { scenario: 'uncontended', path: path.name, concurrency: workers, rep };
      await sink.measure(key, () =>
        measurePath(env, options, path, workers, `${sink.run}-${rep}-${workers}`),
      );
    }
  }
}

async function measurePath(
  env: Environment,
  options: BenchOptions,
  path: BenchPath,
  workers: number,
  tag: string,
) {
  const open = await path.open(env, workers, tag);
  try {
    return await runClosedLoop({
      workers,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      cycle: open.cycle,
      processes: open.processes,
    });
  } finally {
    await open.close();
  }
}
