import type { GrantOptions } from '../leases/lease-store.js';
import type {
  AcquireResult,
  LeaseApp,
  LockInfo,
  QueuedWaiter,
  ReleaseStatus,
  UnlockStatus,
} from '../types.js';

/** Options of an acquire. `waitMs` 0 or absent never waits. */
export interface AcquireOptions {
  readonly key: string;
  readonly leaseId: string;
  /** Whose lease this may be (see LeaseApp); another app's lease is LEASE_NOT_FOUND. */
  readonly app: LeaseApp;
  readonly waitMs?: number;
  /** Releases the lock this long after the grant, even while the lease lives. */
  readonly maxHoldMs?: number;
  /** Aborting leaves the wait queue; the acquire then resolves `{acquired: false}`. */
  readonly signal?: AbortSignal;
}

/** The holding lease's facts, as a store knows them without reading the lease. */
export interface HoldingLease {
  readonly id: string;
  readonly app?: string;
  readonly owner?: string;
  readonly implicit?: boolean;
}

/** Whether a lock is held (by which lease) and how many wait: no expiry, so one read. */
export interface LockPeek {
  readonly held: boolean;
  readonly waiters: number;
  readonly leaseId?: string;
  /** The app of the holding lease, where the store knows it. */
  readonly app?: string;
  /** Where known without another read; core's Dapr mapping then skips reading the lease. */
  readonly lease?: HoldingLease;
}

/** The exclusive locks of a store, each held by at most one lease, each grant fenced by a token. */
export interface LockStore {
  /** Takes the lock for the lease, waiting in FIFO order up to `waitMs`; LEASE_NOT_FOUND if the lease is gone. */
  acquire(options: AcquireOptions): Promise<AcquireResult>;
  /** Lets the lock go if this lease (of `app`) holds it, handing it to the head waiter. */
  release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus>;
  /** Releases the lock whoever holds it; false when it was free. */
  forceRelease(key: string): Promise<boolean>;
  /** Describes a lock, held or not. */
  describe(key: string): Promise<LockInfo>;
  /** Optional: a cheaper describe (one linearizable read, no expiry) for Dapr's TryLock and Unlock. */
  peek?(key: string): Promise<LockPeek>;
  /**
   * Optional: grants a lease and takes free lock `key` (nobody waiting) for it, in fewer writes than
   * a grant and an acquire; when the lock is not taken, no lease is left behind. For Dapr's TryLock.
   */
  tryAcquireWithNewLease?(grant: GrantOptions, key: string): Promise<AcquireResult>;
  /**
   * Optional: Dapr's Unlock of an implicit lease: lets lock `key` go and ends lease `leaseId` (no
   * longer usable on return); false when the lease is gone or `app`'s no more.
   */
  releaseAndRevoke?(key: string, leaseId: string, app: LeaseApp): Promise<boolean>;
  /**
   * Optional: Dapr's Unlock in one step, where the store knows which implicit lease of `owner` took
   * `key` (no read first); SUCCESS once it let the lock go and ended that lease, undefined when it
   * cannot tell (core then takes the general path: peek, owner check, release).
   */
  unlockKnownGrant?(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus | undefined>;
  /** Lists held locks whose key starts with `prefix`, at most `limit`. */
  list(prefix: string, limit: number): Promise<LockInfo[]>;
  /** The acquires waiting for lock `key`, head first, where the store can read its queue. */
  queue?(key: string): Promise<QueuedWaiter[]>;
  /** True while `token` is the current grant of lock `key`. */
  check(key: string, token: number): Promise<boolean>;
}
