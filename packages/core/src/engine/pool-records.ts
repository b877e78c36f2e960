import type { GrantRow, PoolRow } from '../changes.js';
import type { LeaseholdError } from '../errors.js';
import type { PermitAcquireResult } from '../semaphores/semaphore-store.js';
import type { LeaseApp } from '../types.js';

/** What kind of permit pool: a counting semaphore, or a read/write lock (read weighs 1, write all). */
export type PoolKind = PoolRow['kind'];

/** One lease's grant in a pool; `deadline` and `heapIndex` belong to the hold heap. */
export interface Grant {
  readonly key: string;
  readonly leaseId: string;
  /** The app of the holding lease, kept so a release after the lease ended still knows it. */
  readonly app: string;
  readonly permits: number;
  readonly token: number;
  readonly acquiredAt: number;
  readonly maxHoldMs: number | undefined;
  deadline: number;
  heapIndex: number;
}

/** A permit pool: its limit, who holds how much, and who waits, in arrival order. */
export interface Pool {
  readonly key: string;
  readonly kind: PoolKind;
  limit: number;
  explicit: boolean;
  /** Σ permits of the holders. */
  used: number;
  readonly holders: Map<string, Grant>;
  readonly queue: Set<PoolWaiter>;
}

/** A queued permit acquire. `settle` is called once, with the grant or the reason it ended. */
export interface PoolWaiter {
  readonly key: string;
  readonly leaseId: string;
  readonly app: LeaseApp;
  readonly permits: number;
  readonly maxHoldMs: number | undefined;
  readonly since?: number;
  settle(outcome: PermitAcquireResult | LeaseholdError): void;
}

/** A fresh pool, empty. */
export function newPool(row: PoolRow): Pool {
  return {
    key: row.key,
    kind: row.kind,
    limit: row.limit,
    explicit: row.explicit,
    used: 0,
    holders: new Map(),
    queue: new Set(),
  };
}

/** A fresh, unscheduled grant record. */
export function newGrant(row: GrantRow, app: string): Grant {
  return {
    key: row.key,
    leaseId: row.leaseId,
    app,
    permits: row.permits,
    token: row.token,
    acquiredAt: row.acquiredAt,
    maxHoldMs: row.maxHoldMs,
    deadline: 0,
    heapIndex: -1,
  };
}

/** The journal row of a pool. */
export function poolRow(pool: Pool): PoolRow {
  return { key: pool.key, kind: pool.kind, limit: pool.limit, explicit: pool.explicit };
}

// The weights of read/write locks live with them; the engine's pools use them as they stand.
export { RW_WRITE_PERMITS, modeOf } from '../rwlocks/pool-rwlocks.js';
