/**
 * Whose lease an operation may use. A string is the calling app: a lease granted by any other app
 * then reads exactly as a lease that does not exist. `undefined` is an admin, who may use any lease.
 */
export type LeaseApp = string | undefined;

/** Domain values shared by every layer. Keys here are store keys: already scoped to a tenant. */

/** A lease as the store reports it. */
export interface LeaseInfo {
  readonly id: string;
  readonly ttlMs: number;
  readonly owner?: string;
  /** The app that granted the lease; only it (or an admin) may use the lease. */
  readonly app?: string;
}

/** A lease with what hangs on it. */
export interface LeaseDetail extends LeaseInfo {
  readonly remainingMs: number;
  /** True for the lease a Dapr TryLock made: it holds that one lock and ends with its Unlock. */
  readonly implicit?: boolean;
  readonly locks: readonly string[];
  readonly keys: readonly string[];
}

/** The outcome of an acquire: a value, never an error, when the lock is held. */
export type AcquireResult =
  | { readonly acquired: true; readonly fencingToken: number }
  | { readonly acquired: false; readonly holder?: LockHolder };

/** Who holds a lock, as far as a contender may know. */
export interface LockHolder {
  readonly leaseId: string;
  readonly owner?: string;
  readonly fencingToken: number;
  /** The app of the holding lease, where the store knows it. */
  readonly app?: string;
}

/** One acquire waiting in a lock's queue, in the order it will be served. */
export interface QueuedWaiter {
  readonly leaseId: string;
  /** The app of the waiting lease, where the store knows it. */
  readonly app?: string;
  readonly owner?: string;
  /** Wall-clock time the wait began, ms since the epoch. */
  readonly since?: number;
}

/** The outcome of a release. */
export type ReleaseStatus = 'released' | 'not_held' | 'held_by_other';

/** A lock's state, held or not. */
export interface LockInfo {
  readonly key: string;
  readonly held: boolean;
  readonly leaseId?: string;
  /** The app of the holding lease, where the store knows it. */
  readonly app?: string;
  readonly owner?: string;
  readonly fencingToken?: number;
  /** Wall-clock time of the grant, ms since the epoch. */
  readonly acquiredAt?: number;
  readonly expiresInMs?: number;
  readonly waiters: number;
}

/** Dapr unlock statuses, numbered as on the Dapr wire. */
export const UnlockStatus = {
  SUCCESS: 0,
  LOCK_DOES_NOT_EXIST: 1,
  LOCK_BELONGS_TO_OTHERS: 2,
  INTERNAL_ERROR: 3,
} as const;
export type UnlockStatus = (typeof UnlockStatus)[keyof typeof UnlockStatus];

/** A stored key-value entry. */
export interface KvEntry {
  readonly key: string;
  readonly value: string;
  readonly version: number;
  readonly revision: number;
  readonly leaseId?: string;
  /** The app of the lease the key is bound to, where the store knows it. */
  readonly app?: string;
}

/** A fence on a write: the write applies only while `token` is the current grant of lock `key`. */
export interface Fence {
  readonly key: string;
  readonly token: number;
}

/** Kinds of watch events. */
export type WatchEventType =
  | 'put'
  | 'delete'
  | 'lease.expired'
  | 'lock.acquired'
  | 'lock.released'
  | 'permit.acquired'
  | 'permit.released';

/** One change, stamped with the store revision it produced. */
export interface WatchEvent {
  readonly type: WatchEventType;
  readonly key: string;
  readonly revision: number;
  readonly value?: string;
  readonly leaseId?: string;
  /** The app of the lease named by `leaseId`, where the store knows it. */
  readonly app?: string;
  readonly fencingToken?: number;
  /** The permits a permit event's grant weighs. */
  readonly permits?: number;
  /** The mode of a read/write lock's permit event. */
  readonly mode?: 'read' | 'write';
}

/** What one tenant holds in a store, for quotas. Leases and locks count by app, keys by key scope. */
export interface Usage {
  readonly leases: number;
  readonly locks: number;
  readonly keys: number;
  /** UTF-8 bytes of the values of those keys. */
  readonly keyBytes: number;
  readonly counters: number;
  /** The UTF-8 bytes of `UsageQuery.kvKey`'s current value; undefined when the key is absent. */
  readonly kvKeyBytes?: number;
  /** Whether `UsageQuery.counter` exists. */
  readonly counterExists?: boolean;
}

/** Whose usage to read: an app (leases, locks) and a key scope (keys, counters). */
export interface UsageQuery {
  readonly app: string;
  /** The scope part of store keys, as `KeyScope.tenant` gives it ('' for a shared key space). */
  readonly scope: string;
  readonly kvKey?: string;
  readonly counter?: string;
}

/** The clock every engine reads: monotonic milliseconds for deadlines, wall time for display. */
export interface Clock {
  /** Monotonic milliseconds; only differences mean anything. */
  now(): number;
  /** Wall-clock milliseconds since the epoch. */
  wallNow(): number;
}

/** The process clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
};
