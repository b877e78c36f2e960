import type { LeaseApp } from '../types.js';

/** How a read/write lock is held: shared by readers, or by one writer alone. */
export type RwLockMode = 'read' | 'write';

/** Options of a read/write lock acquire. `waitMs` 0 or absent never waits. */
export interface RwLockAcquireOptions {
  readonly key: string;
  readonly leaseId: string;
  /** Whose lease this may be (see LeaseApp); another app's lease is LEASE_NOT_FOUND. */
  readonly app: LeaseApp;
  /** `read` under a write the lease holds is the atomic downgrade; `write` under a read is MODE_CONFLICT. */
  readonly mode: RwLockMode;
  readonly waitMs?: number;
  /** Releases the grant this long after it was made, even while the lease lives. */
  readonly maxHoldMs?: number;
  /** Aborting leaves the wait queue; the acquire then resolves `{acquired: false}`. */
  readonly signal?: AbortSignal;
}

/** The outcome of an acquire: a grant, or how the lock is held (null: free) and how many wait. */
export type RwLockAcquireResult =
  | { readonly acquired: true; readonly mode: RwLockMode; readonly fencingToken: number }
  | { readonly acquired: false; readonly mode: RwLockMode | null; readonly waiters: number };

/** One lease's grant of a read/write lock. */
export interface RwLockHolder {
  readonly leaseId: string;
  /** The app of the holding lease, kept so views can hide another app's lease. */
  readonly app: string;
  readonly owner?: string;
  readonly mode: RwLockMode;
  readonly fencingToken: number;
  readonly acquiredAt: number;
}

/** A read/write lock's mode (null while free), holders in grant order and queue length. */
export interface RwLockInfo {
  readonly key: string;
  readonly mode: RwLockMode | null;
  readonly holders: readonly RwLockHolder[];
  readonly waiters: number;
}

/**
 * Read/write locks, task-fair: one FIFO queue per name; a read head is granted with every read
 * right behind it in one step, a read behind a queued write waits, a write never shares. Tokens
 * are store revisions; a lease's end frees its grant and hands off in the same step.
 */
export interface RwLockStore {
  /**
   * Grants the lock in `mode`, waiting in FIFO order up to `waitMs`; the same grant for the lease
   * already holding it in that mode. LEASE_NOT_FOUND, MODE_CONFLICT (an upgrade).
   */
  acquire(options: RwLockAcquireOptions): Promise<RwLockAcquireResult>;
  /** Lets the lease's grant go (if `app`'s) and hands the lock to the head waiters. */
  release(key: string, leaseId: string, app: LeaseApp): Promise<'released' | 'not_held'>;
  /** Describes a lock; undefined when nobody holds or awaits it. */
  describe(key: string): Promise<RwLockInfo | undefined>;
  /** Lists locks whose key starts with `prefix`, at most `limit`, sorted by key. */
  list(prefix: string, limit: number): Promise<RwLockInfo[]>;
  /** True while `token` is a current grant of lock `key`. */
  check(key: string, token: number): Promise<boolean>;
}
