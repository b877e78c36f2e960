import { latencyHistogram, percentilesMs, recordMs } from './closed-loop.js';

/** One grant of a contended lock, as its holder saw it. */
export interface Grant {
  /** The order in which the acquire was sent (all go over one client stream, so the server's order too). */
  readonly seq: number;
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
  /** Grants that reached a holder before its predecessor sent its release: 0 under mutual exclusion. */
  readonly overlaps: number;
}

/**
 * Reads grants in fencing-token order (the server's grant order). A hand-off is the time from one
 * holder's release to the next holder's grant; only those whose release came at or after `sinceMs`
 * count toward the latencies, every grant toward the checks.
 */
export function analyzeHandOffs(grants: readonly Grant[], sinceMs = -Infinity): HandOffs {
  const ordered = [...grants].sort((a, b) => a.token - b.token);
  const histogram = latencyHistogram();
  let fifoViolations = 0;
  let overlaps = 0;
  for (let i = 1; i < ordered.length; i++) {
    const before = ordered[i - 1]!;
    const grant = ordered[i]!;
    if (grant.seq < before.seq) fifoViolations++;
    if (grant.grantedAt < before.releasedAt) overlaps++;
    else if (before.releasedAt >= sinceMs) recordMs(histogram, grant.grantedAt - before.releasedAt);
  }
  const result = { handOffs: histogram.totalCount, ...percentilesMs(histogram), fifoViolations, overlaps };
  histogram.destroy();
  return result;
}
