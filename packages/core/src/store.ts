import type { CounterStore } from './counters/counter-store.js';
import type { DaprLockStore } from './dapr/dapr-store.js';
import { LeaseholdError } from './errors.js';
import type { KvStore } from './kv/kv-store.js';
import type { LeaseStore } from './leases/lease-store.js';
import type { LockStore } from './locks/lock-store.js';
import type { MultiLockStore } from './locks/multi-lock-store.js';
import type { RwLockStore } from './rwlocks/rwlock-store.js';
import type { SemaphoreStore } from './semaphores/semaphore-store.js';
import type { Usage, UsageQuery } from './types.js';
import type { WatchStore } from './watch/watch-store.js';

export type { LeaseApp } from './types.js';
export type { GrantOptions, LeaseStore } from './leases/lease-store.js';
export type { AcquireOptions, HoldingLease, LockPeek, LockStore } from './locks/lock-store.js';
export type { DaprLockStore } from './dapr/dapr-store.js';
export type { KvStore, PutOptions } from './kv/kv-store.js';
export type { CounterStore } from './counters/counter-store.js';
export type * from './semaphores/semaphore-store.js';
export type * from './rwlocks/rwlock-store.js';
export type { Unsubscribe, WatchOptions, WatchStore } from './watch/watch-store.js';

/** What a store holds right now, for metrics. */
export interface StoreStats {
  readonly leases: number;
  readonly locks: number;
  /** Acquires waiting in the store's queues. */
  readonly waiters: number;
  /** Semaphore permits held, where the store has semaphores. */
  readonly permits?: number;
  /** Semaphores that exist (held, awaited or made by setLimit), where the store can count them cheaply. */
  readonly semaphores?: number;
  /** Acquires waiting in semaphore queues, where the store can count them cheaply. */
  readonly semaphoreWaiters?: number;
  /** Read/write locks held, by the mode they are held in, where the store can count them cheaply. */
  readonly rwlocksHeld?: { readonly read: number; readonly write: number };
  /** Acquires waiting in read/write lock queues, where the store can count them cheaply. */
  readonly rwlockWaiters?: number;
}

/**
 * The Store seam: a set of capabilities, one small interface per primitive, every operation
 * atomic in its backend. Keys are already tenant-scoped. Expected outcomes are values; only
 * backend failures reject, as LeaseholdError STORE_ERROR (or LEASE_NOT_FOUND, FENCED,
 * VERSION_MISMATCH where documented). A capability a store lacks answers NOT_SUPPORTED.
 */
export interface Store {
  readonly leases: LeaseStore;
  readonly locks: LockStore;
  /** Dapr's lock API, only where a store keeps a format of its own; core maps it otherwise. */
  readonly dapr?: DaprLockStore;
  readonly kv?: KvStore;
  readonly counters?: CounterStore;
  readonly semaphores?: SemaphoreStore;
  readonly rwlocks?: RwLockStore;
  /** All-or-nothing acquires of several locks (ADR 0025). */
  readonly multiLock?: MultiLockStore;
  readonly watch: WatchStore;
  /** Why a capability is absent, for its NOT_SUPPORTED message ("not yet", or why it cannot be). */
  readonly unsupported?: { readonly [C in OptionalCapability]?: string };

  /** What a tenant holds, for quotas; a store without it cannot enforce stored-state quotas. */
  usage?(query: UsageQuery): Usage | Promise<Usage>;
  /** True when the backend answers; a networked store rejects instead, saying which host and why not. */
  ping(): Promise<boolean>;
  /** Store-wide counts for metrics, read at scrape time: a few cheap backend reads at most. */
  stats?(): StoreStats | Promise<StoreStats>;
  /** Stops timers, fails waiters, flushes and closes the backend. */
  close(): Promise<void>;
}

/** The capabilities a store may lack. */
export type OptionalCapability = 'kv' | 'counters' | 'semaphores' | 'rwlocks' | 'multiLock';

/** A store's capability, or NOT_SUPPORTED naming the store and what it lacks. */
export function capability<C extends OptionalCapability>(
  store: Store,
  name: C,
  storeName: string,
): NonNullable<Store[C]> {
  const found = store[name];
  if (found === undefined) {
    const why = store.unsupported?.[name];
    const message = `store: ${storeName} has no ${name}${why === undefined ? '' : `: ${why}`}`;
    throw new LeaseholdError('NOT_SUPPORTED', message, { field: 'store' });
  }
  return found;
}
