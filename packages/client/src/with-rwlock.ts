import { LockNotAcquiredError } from './errors.js';
import type { Lease } from './lease.js';
import type { LeasesApi } from './leases-api.js';
import type { RwLockHandle, RwLockMode } from './rwlock-handle.js';
import type { RwLockAcquireOptions, RwLocksApi } from './rwlocks-api.js';
import { optionalMs, requireMs, requireString } from './validate.js';
import { runOnFreshLease } from './on-fresh-lease.js';

/** Options of withRwLock. */
export interface WithRwLockOptions {
  readonly mode: RwLockMode;
  /** TTL of the lease granted for the duration of the routine. */
  readonly ttlMs: number;
  /** How long to wait for the lock; default 0 (fail at once if it is not free for `mode`). */
  readonly waitMs?: number;
  readonly owner?: string;
  /** Aborts the wait. */
  readonly signal?: AbortSignal;
}

/** What the routine gets. */
export interface RwLockContext {
  /** Aborted with a LeaseLostError when the lock can no longer be proven held. */
  readonly signal: AbortSignal;
  /** The token at the start; after `lock.downgrade()` read `lock.fencingToken`. */
  readonly fencingToken: number;
  readonly lease: Lease;
  readonly lock: RwLockHandle;
}

/**
 * Grants a lease, waits for the lock in `mode`, runs `fn`, then — after any keep-alive in flight —
 * releases it and revokes the lease, whatever `fn` did; a lost lease rejects at once and cleans up
 * in the background, as withLock.
 */
export async function withRwLock<T>(
  leases: LeasesApi,
  rwlocks: RwLocksApi,
  name: string,
  options: WithRwLockOptions,
  fn: (context: RwLockContext) => Promise<T> | T,
): Promise<T> {
  requireString('name', name);
  const ttlMs = requireMs('ttlMs', options?.ttlMs, 1);
  const waitMs = optionalMs('waitMs', options.waitMs);
  if (typeof fn !== 'function') throw new TypeError('fn: must be a function');
  return runOnFreshLease(
    leases,
    {
      ttlMs,
      owner: options.owner,
      take: (lease) => {
        const acquire: RwLockAcquireOptions = {
          lease,
          mode: options.mode,
          ...(waitMs === undefined ? {} : { waitMs }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        };
        return rwlocks.acquire(name, acquire);
      },
      refused: (lock) => {
        const why = `held for ${lock.heldAs ?? 'nothing'}, ${lock.waiters ?? 0} waiting`;
        return new LockNotAcquiredError(name, `rwlock ${name}: not acquired for ${options.mode} (${why})`);
      },
    },
    (lease, lock, fencingToken) => fn({ signal: lease.signal, fencingToken, lease, lock }),
  );
}
