import type { LeaseRow, LockRow } from '../changes.js';
import type { KeySet } from './key-set.js';
import type { Waiter } from './engine-sink.js';
import type { PoolWaiter } from './pool-records.js';
import type { LeaseInfo } from '../types.js';

/** The engine's record of a live lease; `deadline` and `heapIndex` belong to the lease heap. */
export interface Lease {
  readonly id: string;
  readonly ttlMs: number;
  readonly owner: string | undefined;
  /** The granting app; '' for a lease restored from before leases had apps. */
  readonly app: string;
  readonly implicit: boolean;
  locks: KeySet;
  keys: KeySet;
  waiters: Set<Waiter> | undefined;
  /** The permit pools it holds a grant in. */
  pools: KeySet;
  /** Its acquires waiting in permit pools' queues. */
  poolWaiters: Set<PoolWaiter> | undefined;
  /** Expiry deadline on the engine clock, kept by the lease heap. */
  deadline: number;
  heapIndex: number;
}

/** The engine's record of a held lock; `deadline` and `heapIndex` belong to the hold heap. */
export interface Lock {
  readonly key: string;
  readonly leaseId: string;
  /** The app of the holding lease, kept so a release after the lease ended still knows it. */
  readonly app: string;
  readonly token: number;
  readonly acquiredAt: number;
  readonly maxHoldMs: number | undefined;
  /** maxHoldMs deadline on the engine clock, kept by the hold heap. */
  deadline: number;
  heapIndex: number;
}

/** A fresh, unscheduled lease record. */
export function newLease(row: LeaseRow): Lease {
  return {
    id: row.id,
    ttlMs: row.ttlMs,
    owner: row.owner,
    app: row.app ?? '',
    implicit: row.implicit === true,
    locks: undefined,
    keys: undefined,
    waiters: undefined,
    pools: undefined,
    poolWaiters: undefined,
    deadline: 0,
    heapIndex: -1,
  };
}

/** A fresh, unscheduled lock record. */
export function newLock(row: LockRow, app: string): Lock {
  return {
    key: row.key,
    leaseId: row.leaseId,
    app,
    token: row.token,
    acquiredAt: row.acquiredAt,
    maxHoldMs: row.maxHoldMs,
    deadline: 0,
    heapIndex: -1,
  };
}

/** The public view of a lease. */
export function leaseInfo(lease: {
  id: string;
  ttlMs: number;
  owner?: string | undefined;
  app?: string | undefined;
}): LeaseInfo {
  return {
    id: lease.id,
    ttlMs: lease.ttlMs,
    ...(lease.owner === undefined ? {} : { owner: lease.owner }),
    ...(lease.app === undefined || lease.app === '' ? {} : { app: lease.app }),
  };
}
