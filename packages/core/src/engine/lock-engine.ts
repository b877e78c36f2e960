import { newLeaseId } from '../lease-id.js';
import type { KvRow, LeaseRow, LockRow, Snapshot } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import { ExpiryHeap } from './expiry-heap.js';
import { keySetAdd, keySetDelete, keySetValues } from './key-set.js';
import { KvTable } from './kv-table.js';
import type { Lease, Lock } from './engine-records.js';
import { leaseInfo, newLease, newLock } from './engine-records.js';
import type {
  AcquireResult,
  Clock,
  KvEntry,
  LeaseDetail,
  LeaseInfo,
  LockHolder,
  LockInfo,
  QueuedWaiter,
  ReleaseStatus,
  Usage,
  UsageQuery,
  WatchEventType,
} from '../types.js';
import type { PutOptions } from '../kv/kv-store.js';
import type { LeaseApp } from '../types.js';
import type { EngineSink, Waiter } from './engine-sink.js';

/**
 * The in-memory state machine: leases, exclusive locks with fencing tokens, FIFO waiters with
 * direct hand-off, lease-bound keys and counters. Synchronous and timer-free: a driver calls
 * `expireDue` when `nextDeadline` passes. Fencing tokens are store revisions, so they rise
 * across every lock and survive restarts with the revision.
 */
export class LockEngine {
  private readonly leases = new Map<string, Lease>();
  private readonly locks = new Map<string, Lock>();
  private readonly queues = new Map<string, Set<Waiter>>();
  private readonly kv: KvTable;
  private readonly leaseDeadlines = new ExpiryHeap<Lease>();
  private readonly holdDeadlines = new ExpiryHeap<Lock>();
  private readonly leasesByApp = new Map<string, number>();
  private readonly locksByApp = new Map<string, number>();
  private revision = 0;

  constructor(
    private readonly clock: Clock,
    private readonly sink: EngineSink,
  ) {
    this.kv = new KvTable(sink, () => this.nextRevision());
  }

  /** Loads a snapshot; every lease's countdown restarts at its full TTL. */
  restore(snapshot: Snapshot): void {
    const now = this.clock.now();
    this.revision = snapshot.revision;
    for (const row of snapshot.leases) {
      const lease = newLease(row);
      this.leases.set(row.id, lease);
      this.leaseDeadlines.schedule(lease, now + row.ttlMs);
      bump(this.leasesByApp, lease.app, 1);
    }
    for (const row of snapshot.locks) {
      const lease = this.leases.get(row.leaseId);
      if (!lease) continue;
      const lock = newLock(row, lease.app);
      this.locks.set(row.key, lock);
      lease.locks = keySetAdd(lease.locks, row.key);
      bump(this.locksByApp, lease.app, 1);
      if (row.maxHoldMs !== undefined) this.holdDeadlines.schedule(lock, now + row.maxHoldMs);
    }
    this.kv.restore(snapshot.kv, snapshot.counters);
    for (const row of snapshot.kv) {
      const lease = row.leaseId === undefined ? undefined : this.leases.get(row.leaseId);
      if (lease) lease.keys = keySetAdd(lease.keys, row.key);
    }
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
    let count = 0;
    for (const queue of this.queues.values()) count += queue.size;
    return count;
  }

  grantLease(ttlMs: number, owner: string | undefined, app: string, implicit = false): LeaseInfo {
    const row: LeaseRow = {
      id: newLeaseId(),
      ttlMs,
      ...(owner === undefined ? {} : { owner }),
      app,
      implicit,
    };
    const lease = newLease(row);
    this.leases.set(row.id, lease);
    bump(this.leasesByApp, app, 1);
    this.leaseDeadlines.schedule(lease, this.clock.now() + ttlMs);
    this.sink.change({ kind: 'lease.put', row });
    return leaseInfo(row);
  }

  keepAlive(leaseId: string, app: LeaseApp): LeaseInfo | undefined {
    const lease = this.liveLease(leaseId, app);
    if (!lease) return undefined;
    this.leaseDeadlines.schedule(lease, this.clock.now() + lease.ttlMs);
    return leaseInfo(lease);
  }

  revokeLease(leaseId: string, app: LeaseApp): boolean {
    const lease = this.leases.get(leaseId);
    if (!lease || !ownedBy(lease, app)) return false;
    this.endLease(lease, false);
    return true;
  }

  getLease(leaseId: string, app: LeaseApp): LeaseDetail | undefined {
    const lease = this.liveLease(leaseId, app);
    if (!lease) return undefined;
    return {
      ...leaseInfo(lease),
      ...(lease.implicit ? { implicit: true } : {}),
      remainingMs: Math.max(0, Math.round(lease.deadline - this.clock.now())),
      locks: keySetValues(lease.locks),
      keys: keySetValues(lease.keys),
    };
  }

  /** Up to `limit` live leases, in no particular order. */
  listLeases(limit: number): LeaseDetail[] {
    const out: LeaseDetail[] = [];
    for (const id of this.leases.keys()) {
      if (out.length >= limit) break;
      const detail = this.getLease(id, undefined);
      if (detail) out.push(detail);
    }
    return out;
  }

  /** Takes a free lock; idempotent for the lease already holding it. Throws LEASE_NOT_FOUND. */
  tryAcquire(key: string, leaseId: string, app: LeaseApp, maxHoldMs?: number): AcquireResult {
    const lease = this.requireLease(leaseId, app);
    const held = this.locks.get(key);
    if (held) {
      if (held.leaseId === leaseId) return { acquired: true, fencingToken: held.token };
      return { acquired: false, holder: this.holderOf(held) };
    }
    if ((this.queues.get(key)?.size ?? 0) > 0) return { acquired: false };
    return { acquired: true, fencingToken: this.grantLock(lease, key, maxHoldMs) };
  }

  /** Queues a waiter behind the current holder and earlier waiters. Call after tryAcquire failed. */
  enqueue(waiter: Waiter): void {
    const lease = this.requireLease(waiter.leaseId, waiter.app);
    let queue = this.queues.get(waiter.key);
    if (!queue) this.queues.set(waiter.key, (queue = new Set()));
    queue.add(waiter);
    (lease.waiters ??= new Set()).add(waiter);
    if (!this.locks.has(waiter.key)) this.handOff(waiter.key);
  }

  /** Removes a waiter that has not been granted; false when it already was. */
  cancelWaiter(waiter: Waiter): boolean {
    const queue = this.queues.get(waiter.key);
    if (!queue?.delete(waiter)) return false;
    if (queue.size === 0) this.queues.delete(waiter.key);
    this.leases.get(waiter.leaseId)?.waiters?.delete(waiter);
    return true;
  }

  /** The holder of a lock, if held. */
  holder(key: string): LockHolder | undefined {
    const lock = this.locks.get(key);
    return lock ? this.holderOf(lock) : undefined;
  }

  release(key: string, leaseId: string, app: LeaseApp): ReleaseStatus {
    const lock = this.locks.get(key);
    if (!lock) return 'not_held';
    // Another app's lease is no lease of the caller's: its lock is someone else's.
    if (lock.leaseId !== leaseId || (app !== undefined && lock.app !== app)) return 'held_by_other';
    this.dropLock(lock);
    this.handOff(key);
    return 'released';
  }

  forceRelease(key: string): boolean {
    const lock = this.locks.get(key);
    if (!lock) return false;
    this.dropLock(lock);
    this.handOff(key);
    return true;
  }

  describeLock(key: string): LockInfo {
    const lock = this.locks.get(key);
    const waiters = this.queues.get(key)?.size ?? 0;
    if (!lock) return { key, held: false, waiters };
    const lease = this.leases.get(lock.leaseId);
    const ends = Math.min(
      lease?.deadline ?? Infinity,
      this.holdDeadlines.has(lock) ? lock.deadline : Infinity,
    );
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
    return [...(this.queues.get(key) ?? [])].map((waiter) => {
      const lease = this.leases.get(waiter.leaseId);
      return {
        leaseId: waiter.leaseId,
        ...(lease === undefined ? {} : { app: lease.app }),
        ...(lease?.owner === undefined ? {} : { owner: lease.owner }),
        ...(waiter.since === undefined ? {} : { since: waiter.since }),
      };
    });
  }

  listLocks(prefix: string, limit: number): LockInfo[] {
    const out: LockInfo[] = [];
    for (const key of this.locks.keys()) {
      if (out.length >= limit) break;
      if (key.startsWith(prefix)) out.push(this.describeLock(key));
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  checkFence(key: string, token: number): boolean {
    return this.locks.get(key)?.token === token;
  }

  /** Writes a value; the fence, version and lease are checked first, in that order. */
  put(options: PutOptions): { version: number; revision: number } {
    const fence = options.fence;
    if (fence && !this.checkFence(fence.key, fence.token)) {
      throw new LeaseholdError('FENCED', `fence: token ${fence.token} is not the current grant of its lock`, {
        field: 'fence',
      });
    }
    this.kv.checkVersion(options.key, options.ifVersion);
    const lease = options.leaseId === undefined ? undefined : this.requireLease(options.leaseId, options.app);
    const { row, previous } = this.kv.write(options.key, options.value, lease);
    if (previous?.leaseId !== undefined && previous.leaseId !== lease?.id) this.unbindKey(previous);
    if (lease) lease.keys = keySetAdd(lease.keys, row.key);
    return { version: row.version, revision: row.modRevision };
  }

  get(key: string): KvEntry | undefined {
    const entry = this.kv.get(key);
    const app = entry?.leaseId === undefined ? undefined : this.leases.get(entry.leaseId)?.app;
    return app === undefined || entry === undefined ? entry : { ...entry, app };
  }

  /** The first `limit` entries whose key starts with `prefix`, after `after` (exclusive), in byte order. */
  listKeys(prefix: string, after: string | undefined, limit: number): KvEntry[] {
    return this.kv.keys(prefix, after, limit).flatMap((key) => this.get(key) ?? []);
  }

  delete(key: string): boolean {
    const leaseId = this.kv.row(key)?.leaseId;
    const row = this.kv.remove(key, leaseId === undefined ? undefined : this.leases.get(leaseId)?.app);
    if (row) this.unbindKey(row);
    return row !== undefined;
  }

  counterAdd(name: string, delta: number): number {
    return this.kv.counterAdd(name, delta);
  }

  counterGet(name: string): number {
    return this.kv.counterGet(name);
  }

  counterSet(name: string, value: number): void {
    this.kv.counterSet(name, value);
  }

  /** What a tenant holds: leases and locks of `app`, keys and counters of `scope`. */
  usage(query: UsageQuery): Usage {
    const kvKeyBytes = query.kvKey === undefined ? undefined : this.kv.valueBytes(query.kvKey);
    return {
      leases: this.leasesByApp.get(query.app) ?? 0,
      locks: this.locksByApp.get(query.app) ?? 0,
      ...this.kv.usage(query.scope),
      ...(kvKeyBytes === undefined ? {} : { kvKeyBytes }),
      ...(query.counter === undefined ? {} : { counterExists: this.kv.hasCounter(query.counter) }),
    };
  }

  /** The earliest lease or hold deadline, on the engine's clock. */
  nextDeadline(): number | undefined {
    const a = this.leaseDeadlines.peekDeadline();
    const b = this.holdDeadlines.peekDeadline();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  /** Ends up to `limit` expired leases and overdue holds; returns how many it ended. */
  expireDue(limit: number): number {
    const now = this.clock.now();
    let done = 0;
    for (const lock of this.holdDeadlines.popDue(now, limit)) {
      this.forceRelease(lock.key);
      done++;
    }
    for (const lease of this.leaseDeadlines.popDue(now, limit - done)) {
      this.endLease(lease, true);
      done++;
    }
    return done;
  }

  /** Fails every waiter, as on shutdown. */
  failAllWaiters(error: LeaseholdError): void {
    for (const queue of [...this.queues.values()]) {
      for (const waiter of [...queue]) {
        this.cancelWaiter(waiter);
        waiter.settle(error);
      }
    }
  }

  private endLease(lease: Lease, expired: boolean): void {
    this.leases.delete(lease.id);
    this.leaseDeadlines.remove(lease);
    bump(this.leasesByApp, lease.app, -1);
    this.sink.change({ kind: 'lease.delete', id: lease.id });
    if (expired)
      this.emit('lease.expired', lease.id, this.nextRevision(), { leaseId: lease.id, app: lease.app });
    for (const waiter of lease.waiters ?? []) {
      this.cancelWaiter(waiter);
      waiter.settle(new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${lease.id} ended while waiting`));
    }
    for (const key of keySetValues(lease.keys)) this.kv.remove(key, lease.app);
    for (const key of keySetValues(lease.locks)) {
      const lock = this.locks.get(key);
      if (lock) this.dropLock(lock);
      this.handOff(key);
    }
  }

  private grantLock(lease: Lease, key: string, maxHoldMs: number | undefined): number {
    const token = this.nextRevision();
    const row: LockRow = {
      key,
      leaseId: lease.id,
      token,
      acquiredAt: this.clock.wallNow(),
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
    };
    const lock = newLock(row, lease.app);
    this.locks.set(key, lock);
    lease.locks = keySetAdd(lease.locks, key);
    bump(this.locksByApp, lease.app, 1);
    if (maxHoldMs !== undefined) this.holdDeadlines.schedule(lock, this.clock.now() + maxHoldMs);
    this.sink.change({ kind: 'lock.put', row });
    this.emit('lock.acquired', key, token, { leaseId: lease.id, app: lease.app, fencingToken: token });
    return token;
  }

  private dropLock(lock: Lock): void {
    this.locks.delete(lock.key);
    this.holdDeadlines.remove(lock);
    bump(this.locksByApp, lock.app, -1);
    const lease = this.leases.get(lock.leaseId);
    if (lease) lease.locks = keySetDelete(lease.locks, lock.key);
    this.sink.change({ kind: 'lock.delete', key: lock.key });
    this.emit('lock.released', lock.key, this.nextRevision(), {
      leaseId: lock.leaseId,
      app: lock.app,
      fencingToken: lock.token,
    });
  }

  /** Grants a free lock to its head waiter, if any. */
  private handOff(key: string): void {
    if (this.locks.has(key)) return;
    const queue = this.queues.get(key);
    const head = queue?.values().next().value;
    if (!head) return;
    this.cancelWaiter(head);
    const lease = this.leases.get(head.leaseId);
    if (!lease) {
      head.settle(new LeaseholdError('LEASE_NOT_FOUND'));
      this.handOff(key);
      return;
    }
    head.settle({ acquired: true, fencingToken: this.grantLock(lease, key, head.maxHoldMs) });
  }

  /** Forgets a key's binding to its lease. */
  private unbindKey(row: KvRow): void {
    const lease = row.leaseId === undefined ? undefined : this.leases.get(row.leaseId);
    if (lease) lease.keys = keySetDelete(lease.keys, row.key);
  }

  private liveLease(leaseId: string, app: LeaseApp): Lease | undefined {
    const lease = this.leases.get(leaseId);
    if (!lease || !ownedBy(lease, app)) return undefined;
    // Past its deadline but not yet swept: treat as gone, never extend it.
    if (lease.deadline <= this.clock.now()) return undefined;
    return lease;
  }

  private requireLease(leaseId: string, app: LeaseApp): Lease {
    const lease = this.liveLease(leaseId, app);
    if (!lease)
      throw new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${leaseId} not found or expired`, {
        field: 'leaseId',
      });
    return lease;
  }

  private holderOf(lock: Lock): LockHolder {
    const owner = this.leases.get(lock.leaseId)?.owner;
    return {
      leaseId: lock.leaseId,
      app: lock.app,
      fencingToken: lock.token,
      ...(owner === undefined ? {} : { owner }),
    };
  }

  private nextRevision(): number {
    this.revision++;
    this.sink.change({ kind: 'revision', revision: this.revision });
    return this.revision;
  }

  private emit(
    type: WatchEventType,
    key: string,
    revision: number,
    extra: { value?: string; leaseId?: string; app?: string; fencingToken?: number },
  ): void {
    this.sink.event({ type, key, revision, ...extra });
  }
}

/** True when `app` may use the lease: an admin (undefined) may use any. */
function ownedBy(lease: Lease, app: LeaseApp): boolean {
  return app === undefined || lease.app === app;
}

/** Adds `delta` to a per-app count, dropping zero entries. */
function bump(counts: Map<string, number>, app: string, delta: number): void {
  const next = (counts.get(app) ?? 0) + delta;
  if (next === 0) counts.delete(app);
  else counts.set(app, next);
}
