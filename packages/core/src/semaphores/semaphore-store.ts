import type { LeaseApp } from '../types.js';

/** Options of a permit acquire. `waitMs` 0 or absent never waits. */
export interface PermitAcquireOptions {
  readonly key: string;
  readonly leaseId: string;
  /** Whose lease this may be (see LeaseApp); another app's lease is LEASE_NOT_FOUND. */
  readonly app: LeaseApp;
  /** Creates the semaphore if absent; must equal the limit in force (LIMIT_MISMATCH) if given. */
  readonly limit?: number;
  /** How many permits this grant weighs, 1 to the limit. */
  readonly permits: number;
  readonly waitMs?: number;
  /** Releases the grant this long after it was made, even while the lease lives. */
  readonly maxHoldMs?: number;
  /** Aborting leaves the wait queue; the acquire then resolves `{acquired: false}`. */
  readonly signal?: AbortSignal;
}

/** The outcome of a permit acquire: a grant, or how much is free and how many wait before you. */
export type PermitAcquireResult =
  | { readonly acquired: true; readonly fencingToken: number; readonly permits: number }
  | { readonly acquired: false; readonly available: number; readonly waiters: number };

/** One lease's grant in a pool. */
export interface PermitHolder {
  readonly leaseId: string;
  /** The app of the holding lease, kept so views can hide another app's lease. */
  readonly app: string;
  readonly owner?: string;
  readonly permits: number;
  readonly fencingToken: number;
  readonly acquiredAt: number;
}

/** A semaphore's limit, use, holders (in grant order) and queue length. */
export interface SemaphoreInfo {
  readonly key: string;
  readonly limit: number;
  readonly used: number;
  readonly holders: readonly PermitHolder[];
  readonly waiters: number;
}

/** Whether a permit release let a grant go; repeatable and owner-safe. */
export type PermitReleaseStatus = 'released' | 'not_held';

/**
 * Counting semaphores: each grant is a lease's, weighs 1 to `limit` permits and carries a fencing
 * token (a store revision). Waiting is strict FIFO with head-of-line blocking and hand-off inside
 * the releasing step; a lease's end frees its permits in the same step.
 */
export interface SemaphoreStore {
  /**
   * Grants `permits` to the lease, waiting in FIFO order up to `waitMs`; the same grant for the
   * lease already holding. LEASE_NOT_FOUND, NOT_FOUND (absent and no `limit`), LIMIT_MISMATCH.
   */
  acquire(options: PermitAcquireOptions): Promise<PermitAcquireResult>;
  /** Lets the lease's grant go (if `app`'s) and hands its permits to the head waiters. */
  release(key: string, leaseId: string, app: LeaseApp): Promise<PermitReleaseStatus>;
  /** Describes a semaphore; undefined when nobody made it or it went idle. */
  describe(key: string): Promise<SemaphoreInfo | undefined>;
  /** Lists semaphores whose key starts with `prefix`, at most `limit`, sorted by key. */
  list(prefix: string, limit: number): Promise<SemaphoreInfo[]>;
  /** True while `token` is a current grant of semaphore `key`. */
  check(key: string, token: number): Promise<boolean>;
  /**
   * Sets the limit, making the semaphore if absent (kept while idle); LIMIT_MISMATCH when `ifLimit`
   * is not the limit in force. Raising grants waiters at once; lowering revokes nothing.
   */
  setLimit(key: string, limit: number, ifLimit?: number): Promise<SemaphoreInfo>;
}
