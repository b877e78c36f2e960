import type { Lease } from './lease.js';
import type { LeasesApi } from './leases-api.js';
import { letGo, untilAborted } from './with-lock.js';

/** Something taken on a lease: permits or a read/write lock. */
export interface HeldOnLease {
  readonly acquired: boolean;
  readonly fencingToken: number | undefined;
  release(options?: { timeoutMs?: number }): Promise<string>;
}

/** How runOnFreshLease takes its grant and says it did not come. */
export interface FreshLeaseSteps<H extends HeldOnLease> {
  readonly ttlMs: number;
  readonly owner: string | undefined;
  take(lease: Lease): Promise<H>;
  /** The error thrown when `take` acquired nothing. */
  refused(held: H): Error;
}

/** The longest a release and revoke go on in the background after the signal fired. */
const BACKGROUND_CLEANUP_MAX_MS = 10_000;

/**
 * The scope of withPermit and withRwLock: grants a lease, takes the grant, runs `fn`, then — after
 * any keep-alive in flight — releases it and revokes the lease, whatever `fn` did. A lost lease
 * rejects at once and cleans up in the background, as withLock.
 */
export async function runOnFreshLease<H extends HeldOnLease, T>(
  leases: LeasesApi,
  steps: FreshLeaseSteps<H>,
  fn: (lease: Lease, held: H, fencingToken: number) => Promise<T> | T,
): Promise<T> {
  const { ttlMs, owner } = steps;
  const lease = await leases.grant(owner === undefined ? { ttlMs } : { ttlMs, owner });
  let held: H | undefined;
  try {
    held = await steps.take(lease);
    if (!held.acquired || held.fencingToken === undefined) throw steps.refused(held);
    return await untilAborted(fn(lease, held, held.fencingToken), lease.signal);
  } finally {
    if (lease.signal.aborted) {
      void letGo(leases, lease, held, Math.min(ttlMs, BACKGROUND_CLEANUP_MAX_MS));
    } else {
      await lease.settled();
      if (held?.acquired) await held.release().catch(() => undefined);
      await leases.revoke(lease).catch(() => undefined);
    }
  }
}
