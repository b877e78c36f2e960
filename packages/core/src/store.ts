import type {
  AcquireResult,
  Fence,
  KvEntry,
  LeaseDetail,
  LeaseInfo,
  LockInfo,
  QueuedWaiter,
  ReleaseStatus,
  UnlockStatus,
  Usage,
  UsageQuery,
  WatchEvent,
} from './types.js';

/**
 * Whose lease an operation may use. A string is the calling app: a lease granted by any other app
 * then reads exactly as a lease that does not exist. `undefined` is an admin, who may use any lease.
 */
export type LeaseApp = string | undefined;

/** Options of a lease grant. */
export interface GrantOptions {
  readonly ttlMs: number;
  readonly owner?: string;
  /** The app granting the lease: it owns the lease for its whole life. */
  readonly app: string;
}

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

/** Options of a put. */
export interface PutOptions {
  readonly key: string;
  readonly value: string;
  readonly leaseId?: string;
  /** Whose lease `leaseId` may be (see LeaseApp); another app's lease is LEASE_NOT_FOUND. */
  readonly app: LeaseApp;
  /** 0 means "only if absent". */
  readonly ifVersion?: number;
  readonly fence?: Fence;
}

/** A subscription to changes under a prefix. */
export interface WatchOptions {
  readonly prefix: string;
  /** Replays retained events with a revision above this one before live ones. */
  readonly afterRevision?: number;
  readonly onEvent: (event: WatchEvent) => void;
}

/** What a store holds right now, for metrics. */
export interface StoreStats {
  readonly leases: number;
  readonly locks: number;
  /** Acquires waiting in the store's queues. */
  readonly waiters: number;
}

/** Ends a watch. */
export type Unsubscribe = () => void;

/**
 * The Store seam: every operation is atomic in its backend. Keys are already tenant-scoped.
 * Expected outcomes are values; only backend failures reject, as LeaseholdError STORE_ERROR
 * (or LEASE_NOT_FOUND, FENCED, VERSION_MISMATCH where documented).
 * Every operation that takes a lease id also takes a LeaseApp and treats another app's lease
 * exactly as a missing one, atomically with the operation.
 */
export interface Store {
  /** Grants a new lease, owned by `options.app`, with an unguessable id; its countdown starts now. */
  grantLease(options: GrantOptions): Promise<LeaseInfo>;
  /** Restarts a lease's countdown; undefined when it is unknown, expired or another app's. */
  keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined>;
  /** Ends a lease, releasing its locks and deleting its keys; false when gone or another app's. */
  revokeLease(leaseId: string, app: LeaseApp): Promise<boolean>;
  /** Describes a live lease (with its app); undefined when unknown, expired or another app's. */
  getLease(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined>;
  /** Lists live leases, at most `limit`, where the store can do so cheaply. */
  listLeases?(limit: number): Promise<LeaseDetail[]>;

  /** Takes the lock for the lease, waiting in FIFO order up to `waitMs`; LEASE_NOT_FOUND if the lease is gone. */
  acquire(options: AcquireOptions): Promise<AcquireResult>;
  /** Lets the lock go if this lease (of `app`) holds it, handing it to the head waiter. */
  release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus>;
  /** Releases the lock whoever holds it; false when it was free. */
  forceRelease(key: string): Promise<boolean>;
  /** Describes a lock, held or not. */
  describeLock(key: string): Promise<LockInfo>;
  /** Lists held locks whose key starts with `prefix`, at most `limit`. */
  listLocks(prefix: string, limit: number): Promise<LockInfo[]>;
  /** The acquires waiting for lock `key`, head first, where the store can read its queue. */
  describeQueue?(key: string): Promise<QueuedWaiter[]>;
  /** True while `token` is the current grant of lock `key`. */
  checkFence(key: string, token: number): Promise<boolean>;

  /** Dapr TryLock: an implicit lease of `app`, `ttlMs` long, owned by `owner`, holding `key` if free. */
  daprTryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult>;
  /**
   * Dapr Unlock: revokes the implicit lease holding `key` if `owner` owns it and the lease is of
   * `app` (a lock of another app is LOCK_BELONGS_TO_OTHERS whatever the owner string says).
   */
  daprUnlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus>;

  /** Writes a value; FENCED / VERSION_MISMATCH / LEASE_NOT_FOUND reject and change nothing. */
  put(options: PutOptions): Promise<{ version: number; revision: number }>;
  /** Reads a value; undefined when absent. */
  get(key: string): Promise<KvEntry | undefined>;
  /** Deletes a value; false when it was absent. */
  delete(key: string): Promise<boolean>;
  /**
   * The first `limit` live entries whose key starts with `prefix` and sorts after `after` (exclusive,
   * when given), in UTF-8 byte order of the key (see compareBytes). A store without it cannot list.
   */
  listKeys?(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]>;

  /** Adds `delta` to a counter (absent counts as 0) and returns the new value. */
  counterAdd(name: string, delta: number): Promise<number>;
  /** Reads a counter (absent counts as 0). */
  counterGet(name: string): Promise<number>;
  /** Sets a counter. */
  counterSet(name: string, value: number): Promise<void>;

  /** What a tenant holds, for quotas; a store without it cannot enforce stored-state quotas. */
  usage?(query: UsageQuery): Usage | Promise<Usage>;

  /** Streams changes under a prefix. */
  watch(options: WatchOptions): Unsubscribe;

  /** True when the backend answers; a networked store rejects instead, saying which host and why not. */
  ping(): Promise<boolean>;
  /** Store-wide counts for metrics, read at scrape time: a few cheap backend reads at most. */
  stats?(): StoreStats | Promise<StoreStats>;
  /** Stops timers, fails waiters, flushes and closes the backend. */
  close(): Promise<void>;
}
