import { invalidArgument } from '../errors.js';
import type { LeaseApp, LockHolder, ReleaseStatus } from '../types.js';

/** The most names one multi-lock may take (primitives.md §0: `names` 1–64). */
export const MAX_MULTI_LOCK_NAMES = 64;

/** Options of an all-or-nothing acquire. `waitMs` 0 or absent never waits. */
export interface AcquireAllOptions {
  /** Store keys (already app-scoped), deduplicated, 1 to MAX_MULTI_LOCK_NAMES, in any order. */
  readonly keys: readonly string[];
  readonly leaseId: string;
  /** Whose lease this may be (see LeaseApp); another app's lease is LEASE_NOT_FOUND. */
  readonly app: LeaseApp;
  readonly waitMs?: number;
  /** Releases each lock of the grant this long after it, even while the lease lives. */
  readonly maxHoldMs?: number;
  /** Aborting leaves every queue at once, holding nothing; the acquire then resolves `{acquired: false}`. */
  readonly signal?: AbortSignal;
}

/**
 * The outcome of an all-or-nothing acquire: a token for every key, or who holds the keys that are
 * held (none listed when only queued waiters stood in the way). Keys the lease already held keep
 * their tokens.
 */
export type AcquireAllResult =
  | { readonly acquired: true; readonly fencingTokens: Readonly<Record<string, number>> }
  | { readonly acquired: false; readonly holders: Readonly<Record<string, LockHolder>> };

/**
 * Several exclusive locks taken together. A grant is one atomic store step, so nobody observes a
 * subset; a waiting request joins every key's queue in one step and holds nothing until it heads
 * them all and all are free. Once granted the locks are ordinary locks (release, describe, check,
 * fence, expiry and hand-off as usual).
 */
export interface MultiLockStore {
  /** All keys for the lease in one atomic store step, or none; a waiting request holds nothing. */
  acquireAll(options: AcquireAllOptions): Promise<AcquireAllResult>;
  /** Releases each key the lease (of `app`) holds, in one step, handing each on; a status per key. */
  releaseAll(
    keys: readonly string[],
    leaseId: string,
    app: LeaseApp,
  ): Promise<Readonly<Record<string, ReleaseStatus>>>;
}

/**
 * The keys of a multi-lock, deduplicated in first-seen order: 1 to MAX_MULTI_LOCK_NAMES, else
 * INVALID_ARGUMENT on `names`. Core checks each name; a store calls this too, so a direct caller
 * of the seam meets the same limits on every store.
 */
export function multiLockKeys(keys: readonly string[]): string[] {
  const unique = [...new Set(keys)];
  if (unique.length === 0) throw invalidArgument('names', 'must name at least 1 lock');
  if (unique.length > MAX_MULTI_LOCK_NAMES) {
    throw invalidArgument(
      'names',
      `must name at most ${MAX_MULTI_LOCK_NAMES} distinct locks, got ${unique.length}`,
    );
  }
  return unique;
}
