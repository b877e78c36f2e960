import { latencyHistogram, percentilesMs, recordMs } from './closed-loop.js';

/** One grant of a contended lock or semaphore, as its holder saw it. */
export interface Grant {
  /** The order in which the acquire was sent (all go over one client stream, so the server's order too). */
  readonly seq: number;
  /** The fencing token; for a peer without tokens, the order in which grants reached the client. */
  readonly token: number;
  /** When the grant reached the client. */
  readonly grantedAt: number;
  /** When the holder sent its release. */
  readonly releasedAt: number;
}

/** Hand-off latency and the fairness and safety checks over a lock's grants. */
export interface HandOffs {
  readonly handOffs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  /** Grants served out of arrival order: 0 under strict FIFO. */
  readonly fifoViolations: number;
  /** Grants that reached a holder before a permit was released for them: 0 under mutual exclusion. */
  readonly overlaps: number;
}

/**
 * Reads grants in fencing-token order (the server's grant order). A hand-off is the time from the
 * release that freed a permit to the grant that took it: with `limit` permits (1 for a lock) and
 * every grant weighing one, the k-th grant needs the (k − limit)-th release, in time order, to have
 * been sent. Only hand-offs whose release came at or after `sinceMs` count toward the latencies,
 * every grant toward the checks.
 */
export function analyzeHandOffs(grants: readonly Grant[], sinceMs = -Infinity, limit = 1): HandOffs {
  const ordered = [...grants].sort((a, b) => a.token - b.token);
  const releases = ordered.map((grant) => grant.releasedAt).sort((a, b) => a - b);
  const histogram = latencyHistogram();
  let fifoViolations = 0;
  let overlaps = 0;
  for (let i = 1; i < ordered.length; i++) {
    const grant = ordered[i]!;
    if (grant.seq < ordered[i - 1]!.seq) fifoViolations++;
    if (i < limit) continue;
    const freedAt = releases[i - limit]!;
    if (grant.grantedAt < freedAt) overlaps++;
    else if (freedAt >= sinceMs) recordMs(histogram, grant.grantedAt - freedAt);
  }
  const result = { handOffs: histogram.totalCount, ...percentilesMs(histogram), fifoViolations, overlaps };
  histogram.destroy();
  return result;
}
