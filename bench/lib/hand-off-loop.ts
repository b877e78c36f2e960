import type { BenchOptions } from './bench-options.js';
import { runClosedLoop } from './closed-loop.js';
import { analyzeHandOffs } from './hand-offs.js';
import type { Grant } from './hand-offs.js';
import { round } from './process-stats.js';
import type { ProcessGroups } from './process-stats.js';

/** A grant as a worker's `take` got it: its token (none from a peer without them) and how to let it go. */
export interface Taken {
  readonly token?: number;
  release(): Promise<unknown>;
}

/**
 * `workers` closed loops on one lock or semaphore of `limit` permits, each taking it (a blocking
 * wait) and releasing it at once: the hand-off is all there is to measure. Cycles/s from the loop;
 * the latencies are hand-offs (a release to the grant it made room for), beside the longest wait of
 * any acquire; every grant is checked for arrival order and for a grant with no permit free.
 */
export async function measureHandOffs(
  options: BenchOptions,
  shape: { workers: number; limit: number; processes: ProcessGroups },
  take: (worker: number) => Promise<Taken>,
) {
  const grants: Grant[] = [];
  let nextSeq = 0;
  let arrived = 0;
  // Starvation shows in the longest wait, not in the hand-offs: a barging releaser keeps those short.
  let longestWaitMs = 0;
  const measureFrom = performance.now() + options.warmupMs;
  const loop = await runClosedLoop({
    workers: shape.workers,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    processes: shape.processes,
    async cycle(worker) {
      const seq = nextSeq++;
      const sentAt = performance.now();
      const taken = await take(worker);
      const now = performance.now();
      if (sentAt >= measureFrom) longestWaitMs = Math.max(longestWaitMs, now - sentAt);
      grants.push({ seq, token: taken.token ?? arrived, grantedAt: now, releasedAt: now });
      arrived++;
      await taken.release();
    },
  });
  const handOffs = analyzeHandOffs(grants, measureFrom, shape.limit);
  return {
    ...loop,
    p50Ms: handOffs.p50Ms,
    p99Ms: handOffs.p99Ms,
    p999Ms: handOffs.p999Ms,
    extra: {
      limit: shape.limit,
      handOffs: handOffs.handOffs,
      fifoViolations: handOffs.fifoViolations,
      overlaps: handOffs.overlaps,
      longestWaitMs: round(longestWaitMs, 1),
    },
  };
}
