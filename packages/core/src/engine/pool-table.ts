import type { GrantRow, PoolRow } from '../changes.js';
import type { SemaphoreInfo } from '../semaphores/semaphore-store.js';
import type { Clock } from '../types.js';
import type { Lease } from './engine-records.js';
import type { EngineSink } from './engine-sink.js';
import { ExpiryHeap } from './expiry-heap.js';
import { keySetAdd, keySetDelete } from './key-set.js';
import type { LeaseTable } from './lease-table.js';
import type { Grant, Pool } from './pool-records.js';
import { modeOf, newGrant, newPool, poolRow } from './pool-records.js';

/** What PoolTable.counts gives metrics. */
export interface PoolCounts {
  readonly semaphores: number;
  readonly semaphoreWaiters: number;
  readonly rwlocksHeld: { readonly read: number; readonly write: number };
  readonly rwlockWaiters: number;
}

/**
 * The engine's permit pools (design §0: `{key, kind, limit, holders, queue}`): each by key, each
 * grant listed on its lease, `maxHoldMs` deadlines in a heap of their own. Journals pool and grant
 * rows and announces each grant and release; who is granted next is PermitPools' business.
 */
export class PoolTable {
  private readonly byKey = new Map<string, Pool>();
  private readonly holdDeadlines = new ExpiryHeap<Grant>();
  /** Σ permits held in every semaphore (a read/write lock's weights are no permits), for metrics. */
  private held = 0;

  constructor(
    private readonly clock: Clock,
    private readonly sink: EngineSink,
    /** Draws the next store revision, which is a grant's fencing token. */
    private readonly nextRevision: () => number,
    private readonly leases: LeaseTable,
  ) {}

  /** How many pools exist. */
  get size(): number {
    return this.byKey.size;
  }

  /** How many permits are held across every pool. */
  get permitsHeld(): number {
    return this.held;
  }

  /** Loads pools and grants; a grant whose lease is gone is dropped, hold deadlines restart in full. */
  restore(pools: readonly PoolRow[], grants: readonly GrantRow[], now: number): void {
    for (const row of pools) this.byKey.set(row.key, newPool(row));
    for (const row of grants) {
      const pool = this.byKey.get(row.key);
      const lease = this.leases.get(row.leaseId);
      if (!pool || !lease) continue;
      const grant = newGrant(row, lease.app);
      this.add(pool, grant, lease);
      if (row.maxHoldMs !== undefined) this.holdDeadlines.schedule(grant, now + row.maxHoldMs);
    }
  }

  /**
   * Semaphores and their waiters, read/write locks held by mode and their waiters, for metrics: a
   * walk over the pools, which exist only while held, awaited or made by setLimit.
   */
  counts(): PoolCounts {
    const counts = {
      semaphores: 0,
      semaphoreWaiters: 0,
      rwlocksHeld: { read: 0, write: 0 },
      rwlockWaiters: 0,
    };
    for (const pool of this.byKey.values()) {
      if (pool.kind === 'semaphore') {
        counts.semaphores++;
        counts.semaphoreWaiters += pool.queue.size;
        continue;
      }
      counts.rwlockWaiters += pool.queue.size;
      const first = pool.holders.values().next();
      if (!first.done) counts.rwlocksHeld[modeOf(first.value.permits)]++;
    }
    return counts;
  }

  /** The pool of `key`, if any. */
  get(key: string): Pool | undefined {
    return this.byKey.get(key);
  }

  /** Every pool, in no particular order. */
  all(): IterableIterator<Pool> {
    return this.byKey.values();
  }

  /** Makes a pool, journaled. */
  create(row: PoolRow): Pool {
    const pool = newPool(row);
    this.byKey.set(row.key, pool);
    this.sink.change({ kind: 'pool.put', row });
    return pool;
  }

  /** Journals a pool's new limit or explicitness. */
  update(pool: Pool): void {
    this.sink.change({ kind: 'pool.put', row: poolRow(pool) });
  }

  /** Deletes a pool nobody holds or awaits, unless setLimit made it. */
  dropIfIdle(pool: Pool): void {
    if (pool.explicit || pool.holders.size > 0 || pool.queue.size > 0) return;
    this.byKey.delete(pool.key);
    this.sink.change({ kind: 'pool.delete', key: pool.key });
  }

  /** Grants `permits` of `pool` to `lease` at a new revision, journals and announces it. */
  grant(pool: Pool, lease: Lease, permits: number, maxHoldMs: number | undefined): Grant {
    const token = this.nextRevision();
    const row: GrantRow = {
      key: pool.key,
      leaseId: lease.id,
      permits,
      token,
      acquiredAt: this.clock.wallNow(),
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
    };
    const grant = newGrant(row, lease.app);
    this.add(pool, grant, lease);
    if (maxHoldMs !== undefined) this.holdDeadlines.schedule(grant, this.clock.now() + maxHoldMs);
    this.sink.change({ kind: 'grant.put', row });
    this.sink.event({
      type: 'permit.acquired',
      key: pool.key,
      revision: token,
      leaseId: lease.id,
      app: lease.app,
      fencingToken: token,
      ...weighs(pool, permits),
    });
    return grant;
  }

  /** Frees a grant's permits, journals and announces it at a new revision; its lease stops listing it. */
  drop(pool: Pool, grant: Grant): void {
    pool.holders.delete(grant.leaseId);
    pool.used -= grant.permits;
    if (pool.kind === 'semaphore') this.held -= grant.permits;
    this.holdDeadlines.remove(grant);
    const lease = this.leases.get(grant.leaseId);
    if (lease) lease.pools = keySetDelete(lease.pools, pool.key);
    this.sink.change({ kind: 'grant.delete', key: pool.key, leaseId: grant.leaseId });
    this.sink.event({
      type: 'permit.released',
      key: pool.key,
      revision: this.nextRevision(),
      leaseId: grant.leaseId,
      app: grant.app,
      fencingToken: grant.token,
      ...weighs(pool, grant.permits),
    });
  }

  /** True when `token` is a current grant of `key`. */
  checkFence(key: string, token: number): boolean {
    for (const grant of this.byKey.get(key)?.holders.values() ?? []) if (grant.token === token) return true;
    return false;
  }

  /** A pool as describe shows it, holders in grant order. */
  describe(pool: Pool): SemaphoreInfo {
    const holders = [...pool.holders.values()].map((grant) => {
      const owner = this.leases.get(grant.leaseId)?.owner;
      return {
        leaseId: grant.leaseId,
        app: grant.app,
        ...(owner === undefined ? {} : { owner }),
        permits: grant.permits,
        fencingToken: grant.token,
        acquiredAt: grant.acquiredAt,
      };
    });
    return { key: pool.key, limit: pool.limit, used: pool.used, holders, waiters: pool.queue.size };
  }

  /** Up to `limit` pools whose key starts with `prefix`, sorted by key. */
  list(prefix: string, limit: number): SemaphoreInfo[] {
    const keys = [...this.byKey.keys()].filter((key) => key.startsWith(prefix)).sort();
    return keys.slice(0, limit).map((key) => this.describe(this.byKey.get(key)!));
  }

  /** The earliest maxHoldMs deadline, on the engine's clock. */
  nextDeadline(): number | undefined {
    return this.holdDeadlines.peekDeadline();
  }

  /** Takes up to `limit` overdue grants off the heap, earliest first; they stay held until dropped. */
  popDue(now: number, limit: number): Grant[] {
    return this.holdDeadlines.popDue(now, limit);
  }

  private add(pool: Pool, grant: Grant, lease: Lease): void {
    pool.holders.set(grant.leaseId, grant);
    pool.used += grant.permits;
    if (pool.kind === 'semaphore') this.held += grant.permits;
    lease.pools = keySetAdd(lease.pools, pool.key);
  }
}

/** What a grant weighs as its event says it: permits of a semaphore, the mode of a read/write lock. */
function weighs(pool: Pool, permits: number): { permits: number } | { mode: 'read' | 'write' } {
  return pool.kind === 'rwlock' ? { mode: modeOf(permits) } : { permits };
}
