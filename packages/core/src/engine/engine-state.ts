import type {
  Clock,
  KvEntry,
  LeaseApp,
  LeaseDetail,
  LockHolder,
  LockInfo,
  QueuedWaiter,
  Usage,
  UsageQuery,
} from '../types.js';
import type { Lock } from './engine-records.js';
import type { EngineSink } from './engine-sink.js';
import { IdempotencyTable } from './idempotency-table.js';
import { KvTable } from './kv-table.js';
import { LeaseBoundKv } from './lease-bound-kv.js';
import { LeaseTable } from './lease-table.js';
import { LockTable } from './lock-table.js';
import { PermitPools } from './permit-pools.js';
import { WaiterQueues } from './waiter-queues.js';

/**
 * The engine's tables and every read over them: nothing here changes state, except drawing a
 * revision for a table that is writing. LockEngine adds the transitions and their order.
 */
export class EngineState {
  protected readonly leases: LeaseTable;
  protected readonly locks: LockTable;
  protected readonly queues = new WaiterQueues();
  /** Semaphores: permit pools, their grants and queues. */
  readonly permits: PermitPools;
  /** Key-value rows and counters. */
  protected readonly kv: KvTable;
  /** The same rows as leases and fences see them. */
  protected readonly boundKv: LeaseBoundKv;
  /** The first results of ops sent with an idempotency key. */
  protected readonly idempotency: IdempotencyTable;
  protected revision = 0;

  constructor(
    protected readonly clock: Clock,
    protected readonly sink: EngineSink,
  ) {
    const nextRevision = () => this.nextRevision();
    this.leases = new LeaseTable(clock, sink);
    this.locks = new LockTable(clock, sink, nextRevision, this.leases);
    this.kv = new KvTable(sink, nextRevision);
    this.permits = new PermitPools(clock, sink, nextRevision, this.leases);
    // A fenced write names a lock or a semaphore; keys of the two never overlap.
    const fences = {
      checkFence: (key: string, token: number) =>
        this.locks.checkFence(key, token) || this.permits.checkFence(key, token),
    };
    this.boundKv = new LeaseBoundKv(this.kv, this.leases, fences);
    this.idempotency = new IdempotencyTable(clock, sink);
  }

  /** The current store revision. */
  get currentRevision(): number {
    return this.revision;
  }

  /** How many leases are alive. */
  get leaseCount(): number {
    return this.leases.size;
  }

  /** How many locks are held. */
  get lockCount(): number {
    return this.locks.size;
  }

  /** How many acquires wait in queues: a walk over the contended locks, for metrics scrapes. */
  get waiterCount(): number {
    return this.queues.count;
  }

  /** A live lease with what it holds. */
  getLease(leaseId: string, app: LeaseApp): LeaseDetail | undefined {
    return this.leases.detail(leaseId, app);
  }

  /** Up to `limit` live leases, in no particular order. */
  listLeases(limit: number): LeaseDetail[] {
    return this.leases.list(limit);
  }

  /** The holder of a lock, if held. */
  holder(key: string): LockHolder | undefined {
    const lock = this.locks.get(key);
    return lock ? this.holderOf(lock) : undefined;
  }

  /** Who holds each of `keys` but lease `leaseId`, by key: what a refused multi-lock names. */
  holdersOf(keys: readonly string[], leaseId: string): Record<string, LockHolder> {
    const holders: Record<string, LockHolder> = {};
    for (const key of keys) {
      const lock = this.locks.get(key);
      if (lock && lock.leaseId !== leaseId) holders[key] = this.holderOf(lock);
    }
    return holders;
  }

  /** A lock's holder, token, remaining time and queue length. */
  describeLock(key: string): LockInfo {
    const lock = this.locks.get(key);
    const waiters = this.queues.size(key);
    if (!lock) return { key, held: false, waiters };
    const lease = this.leases.get(lock.leaseId);
    const ends = Math.min(lease?.deadline ?? Infinity, this.locks.holdEndsAt(lock));
    return {
      key,
      held: true,
      leaseId: lock.leaseId,
      app: lock.app,
      ...(lease?.owner === undefined ? {} : { owner: lease.owner }),
      fencingToken: lock.token,
      acquiredAt: lock.acquiredAt,
      ...(Number.isFinite(ends) ? { expiresInMs: Math.max(0, Math.round(ends - this.clock.now())) } : {}),
      waiters,
    };
  }

  /** The waiters of a lock, head first, with their leases' apps and owners. */
  describeQueue(key: string): QueuedWaiter[] {
    return this.queues.describe(key, this.leases);
  }

  /** Up to `limit` held locks whose key starts with `prefix`, sorted by key. */
  listLocks(prefix: string, limit: number): LockInfo[] {
    const out: LockInfo[] = [];
    for (const key of this.locks.keys()) {
      if (out.length >= limit) break;
      if (key.startsWith(prefix)) out.push(this.describeLock(key));
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** True when `token` is the current grant of `key`. */
  checkFence(key: string, token: number): boolean {
    return this.locks.checkFence(key, token);
  }

  /** A key's value, with the app of its lease. */
  get(key: string): KvEntry | undefined {
    return this.boundKv.get(key);
  }

  /** The first `limit` entries whose key starts with `prefix`, after `after` (exclusive), in byte order. */
  listKeys(prefix: string, after: string | undefined, limit: number): KvEntry[] {
    return this.boundKv.list(prefix, after, limit);
  }

  /** A counter's value; 0 when never written. */
  counterGet(name: string): number {
    return this.kv.counterGet(name);
  }

  /** What a tenant holds: leases and locks of `app`, keys and counters of `scope`. */
  usage(query: UsageQuery): Usage {
    const kvKeyBytes = query.kvKey === undefined ? undefined : this.kv.valueBytes(query.kvKey);
    return {
      leases: this.leases.countOf(query.app),
      locks: this.locks.countOf(query.app),
      ...this.kv.usage(query.scope),
      ...(kvKeyBytes === undefined ? {} : { kvKeyBytes }),
      ...(query.counter === undefined ? {} : { counterExists: this.kv.hasCounter(query.counter) }),
    };
  }

  /** The earliest lease or hold deadline, on the engine's clock. */
  nextDeadline(): number | undefined {
    const deadlines = [this.leases.nextDeadline(), this.locks.nextDeadline(), this.permits.nextDeadline()];
    const due = deadlines.filter((d) => d !== undefined);
    return due.length === 0 ? undefined : Math.min(...due);
  }

  /** Who holds a lock, as a refused acquire reports it. */
  protected holderOf(lock: Lock): LockHolder {
    const owner = this.leases.get(lock.leaseId)?.owner;
    return {
      leaseId: lock.leaseId,
      app: lock.app,
      fencingToken: lock.token,
      ...(owner === undefined ? {} : { owner }),
    };
  }

  /** Draws a new store revision and journals it, so revisions (and tokens) never repeat. */
  protected nextRevision(): number {
    this.revision++;
    this.sink.change({ kind: 'revision', revision: this.revision });
    return this.revision;
  }
}
