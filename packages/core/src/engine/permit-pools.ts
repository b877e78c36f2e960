import type { GrantRow, PoolRow } from '../changes.js';
import { LeaseholdError, invalidArgument } from '../errors.js';
import type {
  PermitAcquireResult,
  PermitReleaseStatus,
  SemaphoreInfo,
} from '../semaphores/semaphore-store.js';
import type { Clock, LeaseApp } from '../types.js';
import type { Lease } from './engine-records.js';
import type { EngineSink } from './engine-sink.js';
import { keySetValues } from './key-set.js';
import type { LeaseTable } from './lease-table.js';
import type { Grant, Pool, PoolKind, PoolWaiter } from './pool-records.js';
import { PoolTable } from './pool-table.js';
import type { PoolCounts } from './pool-table.js';

/** What a permit acquire asks for. */
export interface PermitRequest {
  readonly key: string;
  readonly leaseId: string;
  readonly app: LeaseApp;
  readonly limit?: number | undefined;
  readonly permits: number;
  readonly maxHoldMs?: number | undefined;
  /** The pool's kind when the acquire makes it; a semaphore unless said. */
  readonly kind?: PoolKind | undefined;
}

/**
 * The transitions of the engine's permit pools: grant, queue, release, resize and a lease's end.
 * Strict FIFO with head-of-line blocking: the head waiter is granted as soon as its permits fit,
 * inside the step that freed them, and nobody behind it is granted first. Synchronous, no timer.
 */
export class PermitPools {
  private readonly table: PoolTable;

  constructor(
    clock: Clock,
    sink: EngineSink,
    nextRevision: () => number,
    private readonly leases: LeaseTable,
  ) {
    this.table = new PoolTable(clock, sink, nextRevision, leases);
  }

  /** How many permits are held across every pool, for metrics. */
  get permitsHeld(): number {
    return this.table.permitsHeld;
  }

  /** Semaphores, read/write locks by mode and the waiters of each, for metrics (a walk over the pools). */
  counts(): PoolCounts {
    return this.table.counts();
  }

  /** Loads pools and grants from a snapshot. */
  restore(pools: readonly PoolRow[], grants: readonly GrantRow[], now: number): void {
    this.table.restore(pools, grants, now);
  }

  /**
   * Grants now or refuses: the same grant for a lease already holding, nothing while others queue
   * or the permits do not fit. Throws LEASE_NOT_FOUND, NOT_FOUND, LIMIT_MISMATCH, INVALID_ARGUMENT.
   */
  tryAcquire(request: PermitRequest): PermitAcquireResult {
    const lease = this.leases.require(request.leaseId, request.app);
    const pool = this.poolFor(request);
    const held = pool.holders.get(lease.id);
    if (held) return this.reacquire(pool, held, lease, request.permits);
    if (pool.queue.size > 0 || pool.used + request.permits > pool.limit) {
      return { acquired: false, available: Math.max(0, pool.limit - pool.used), waiters: pool.queue.size };
    }
    const grant = this.table.grant(pool, lease, request.permits, request.maxHoldMs);
    return { acquired: true, fencingToken: grant.token, permits: grant.permits };
  }

  /**
   * An acquire on the lease already holding: the same grant, except on a read/write lock where a
   * read asked under a write is the atomic downgrade (a new token, the run of reads at the head
   * joins) and a write asked under a read is MODE_CONFLICT at once, never a wait.
   */
  private reacquire(pool: Pool, held: Grant, lease: Lease, permits: number): PermitAcquireResult {
    if (pool.kind === 'semaphore' || held.permits === permits) {
      return { acquired: true, fencingToken: held.token, permits: held.permits };
    }
    if (permits > held.permits) throw modeConflict();
    // Drop and grant in one step, with no hand-off between: a queued writer never sees it free.
    this.table.drop(pool, held);
    const grant = this.table.grant(pool, lease, permits, held.maxHoldMs);
    this.handOff(pool);
    return { acquired: true, fencingToken: grant.token, permits: grant.permits };
  }

  /** Queues a waiter at the tail of its pool. Call after tryAcquire refused. */
  enqueue(waiter: PoolWaiter): void {
    const lease = this.leases.require(waiter.leaseId, waiter.app);
    const pool = this.table.get(waiter.key);
    if (!pool) throw new LeaseholdError('NOT_FOUND', 'the semaphore went away while joining its queue');
    pool.queue.add(waiter);
    (lease.poolWaiters ??= new Set()).add(waiter);
    this.handOff(pool);
  }

  /** Takes a waiter out of its queue; false when it was already granted or failed. */
  cancelWaiter(waiter: PoolWaiter): boolean {
    const pool = this.table.get(waiter.key);
    if (!pool?.queue.delete(waiter)) return false;
    this.leases.get(waiter.leaseId)?.poolWaiters?.delete(waiter);
    // The head leaving may let those behind it in.
    this.handOff(pool);
    return true;
  }

  /** What a waiter that gave up is told: how much is free and how many still wait. */
  refusal(key: string): PermitAcquireResult {
    const pool = this.table.get(key);
    if (!pool) return { acquired: false, available: 0, waiters: 0 };
    return { acquired: false, available: Math.max(0, pool.limit - pool.used), waiters: pool.queue.size };
  }

  /** Lets the lease's grant go and hands the freed permits on; owner-safe and repeatable. */
  release(key: string, leaseId: string, app: LeaseApp): PermitReleaseStatus {
    const pool = this.table.get(key);
    const grant = pool?.holders.get(leaseId);
    // Another app's lease is no lease of the caller's: its grant is someone else's.
    if (!pool || !grant || (app !== undefined && grant.app !== app)) return 'not_held';
    this.table.drop(pool, grant);
    this.handOff(pool);
    return 'released';
  }

  /** Sets the limit, making the semaphore (kept while idle) if absent; raising grants at once. */
  setLimit(key: string, limit: number, ifLimit: number | undefined): SemaphoreInfo {
    const pool = this.table.get(key);
    if (ifLimit !== undefined && pool?.limit !== ifLimit) {
      throw limitMismatch('ifLimit', pool?.limit, ifLimit);
    }
    if (!pool)
      return this.table.describe(this.table.create({ key, kind: 'semaphore', limit, explicit: true }));
    pool.limit = limit;
    pool.explicit = true;
    this.table.update(pool);
    this.handOff(pool);
    return this.table.describe(pool);
  }

  /** Fails the lease's queued acquires, then frees its grants and hands each pool on, in one step. */
  endLease(lease: Lease): void {
    const touched = new Set<Pool>();
    for (const waiter of lease.poolWaiters ?? []) {
      const pool = this.table.get(waiter.key);
      if (pool?.queue.delete(waiter)) touched.add(pool);
      waiter.settle(new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${lease.id} ended while waiting`));
    }
    lease.poolWaiters = undefined;
    for (const key of keySetValues(lease.pools)) {
      const pool = this.table.get(key);
      const grant = pool?.holders.get(lease.id);
      if (!pool || !grant) continue;
      this.table.drop(pool, grant);
      touched.add(pool);
    }
    for (const pool of touched) this.handOff(pool);
  }

  /** Fails every queued acquire, as on shutdown. */
  failAllWaiters(error: LeaseholdError): void {
    for (const pool of this.table.all()) {
      for (const waiter of pool.queue) {
        this.leases.get(waiter.leaseId)?.poolWaiters?.delete(waiter);
        waiter.settle(error);
      }
      pool.queue.clear();
    }
  }

  /** Frees up to `limit` grants whose maxHoldMs is over; returns how many. */
  expireHolds(now: number, limit: number): number {
    const due = this.table.popDue(now, limit);
    for (const grant of due) {
      const pool = this.table.get(grant.key);
      if (!pool) continue;
      this.table.drop(pool, grant);
      this.handOff(pool);
    }
    return due.length;
  }

  /** A semaphore's state; undefined when absent. */
  describe(key: string): SemaphoreInfo | undefined {
    const pool = this.table.get(key);
    return pool && this.table.describe(pool);
  }

  /** Up to `limit` semaphores whose key starts with `prefix`, sorted by key. */
  list(prefix: string, limit: number): SemaphoreInfo[] {
    return this.table.list(prefix, limit);
  }

  /** True when `token` is a current grant of `key`. */
  checkFence(key: string, token: number): boolean {
    return this.table.checkFence(key, token);
  }

  /** The earliest maxHoldMs deadline of a grant. */
  nextDeadline(): number | undefined {
    return this.table.nextDeadline();
  }

  /** The pool an acquire names, made if absent and a limit is given; its limit must agree. */
  private poolFor(request: PermitRequest): Pool {
    const { key, limit, permits } = request;
    if (limit !== undefined && permits > limit) {
      throw invalidArgument('permits', `must be at most limit ${limit}, got ${permits}`);
    }
    const pool =
      this.table.get(key) ??
      (limit === undefined
        ? undefined
        : this.table.create({ key, kind: request.kind ?? 'semaphore', limit, explicit: false }));
    if (!pool) {
      throw new LeaseholdError('NOT_FOUND', 'name: no such semaphore; pass limit to create it', {
        field: 'name',
      });
    }
    if (limit !== undefined && limit !== pool.limit) throw limitMismatch('limit', pool.limit, limit);
    if (permits > pool.limit) {
      throw invalidArgument('permits', `must be at most the limit ${pool.limit}, got ${permits}`);
    }
    return pool;
  }

  /**
   * Grants waiters from the head while their permits fit; a waiter whose lease is gone fails, one
   * asking more than a lowered limit ends LIMIT_MISMATCH, and one whose lease already holds is
   * answered with that grant (or MODE_CONFLICT) without waiting. Then drops the pool if idle.
   */
  private handOff(pool: Pool): void {
    for (const head of pool.queue) {
      const lease = this.leases.get(head.leaseId);
      const held = lease && pool.holders.get(lease.id);
      if (!held && head.permits <= pool.limit && pool.used + head.permits > pool.limit) break;
      pool.queue.delete(head);
      lease?.poolWaiters?.delete(head);
      if (held) {
        // The same lease queued twice: its later acquire takes nothing new, nor changes mode.
        const same = pool.kind === 'semaphore' || held.permits === head.permits;
        head.settle(
          same ? { acquired: true, fencingToken: held.token, permits: held.permits } : modeConflict(),
        );
      } else if (head.permits > pool.limit) {
        head.settle(limitMismatch('permits', pool.limit, head.permits));
      } else if (!lease) {
        head.settle(new LeaseholdError('LEASE_NOT_FOUND'));
      } else {
        const grant = this.table.grant(pool, lease, head.permits, head.maxHoldMs);
        head.settle({ acquired: true, fencingToken: grant.token, permits: grant.permits });
      }
    }
    this.table.dropIfIdle(pool);
  }
}

/** MODE_CONFLICT: a read grant asked to become a write; callers release and acquire again. */
function modeConflict(): LeaseholdError {
  return new LeaseholdError(
    'MODE_CONFLICT',
    'mode: the lease holds this lock for read; an upgrade to write is refused (release, then acquire write)',
    { field: 'mode' },
  );
}

/** LIMIT_MISMATCH naming the field, the limit in force and the one given. */
function limitMismatch(field: string, stored: number | undefined, given: number): LeaseholdError {
  const inForce = stored === undefined ? 'the semaphore does not exist' : `its limit is ${stored}`;
  return new LeaseholdError('LIMIT_MISMATCH', `${field}: ${given} given, but ${inForce}`, { field });
}
