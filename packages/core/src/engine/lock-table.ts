import type { LockRow } from '../changes.js';
import type { Clock } from '../types.js';
import { AppCounts } from './app-counts.js';
import type { Lease, Lock } from './engine-records.js';
import { newLock } from './engine-records.js';
import type { EngineSink } from './engine-sink.js';
import { ExpiryHeap } from './expiry-heap.js';
import { keySetAdd, keySetDelete } from './key-set.js';
import type { LeaseTable } from './lease-table.js';

/**
 * The engine's held locks: each by key, listed on its lease, its `maxHoldMs` deadline in a heap of
 * its own and its count per app. Journals lock rows and announces each grant and release; who
 * gets a lock next is the engine's business.
 */
export class LockTable {
  private readonly byKey = new Map<string, Lock>();
  private readonly holdDeadlines = new ExpiryHeap<Lock>();
  private readonly perApp = new AppCounts();

  constructor(
    private readonly clock: Clock,
    private readonly sink: EngineSink,
    /** Draws the next store revision, which is a grant's fencing token. */
    private readonly nextRevision: () => number,
    /** The leases locks hang on: each lists the keys it holds. */
    private readonly leases: LeaseTable,
  ) {}

  /** How many locks are held. */
  get size(): number {
    return this.byKey.size;
  }

  /** How many locks the leases of `app` hold. */
  countOf(app: string): number {
    return this.perApp.of(app);
  }

  /** Loads locks from a snapshot, dropping those whose lease is gone; hold deadlines restart in full. */
  restore(rows: readonly LockRow[], now: number): void {
    for (const row of rows) {
      const lease = this.leases.get(row.leaseId);
      if (!lease) continue;
      const lock = newLock(row, lease.app);
      this.add(lock, lease);
      if (row.maxHoldMs !== undefined) this.holdDeadlines.schedule(lock, now + row.maxHoldMs);
    }
  }

  /** The lock held on `key`, if any. */
  get(key: string): Lock | undefined {
    return this.byKey.get(key);
  }

  /** True while `key` is held. */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The held keys, in no particular order. */
  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  /** True when `token` is the fencing token of the current grant of `key`. */
  checkFence(key: string, token: number): boolean {
    return this.byKey.get(key)?.token === token;
  }

  /** When `lock`'s maxHoldMs ends it, on the engine's clock; Infinity when it has none. */
  holdEndsAt(lock: Lock): number {
    return this.holdDeadlines.has(lock) ? lock.deadline : Infinity;
  }

  /** Grants free `key` to `lease` at a new revision, journals and announces it; returns the token. */
  grant(lease: Lease, key: string, maxHoldMs: number | undefined): number {
    const token = this.nextRevision();
    const row: LockRow = {
      key,
      leaseId: lease.id,
      token,
      acquiredAt: this.clock.wallNow(),
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
    };
    const lock = newLock(row, lease.app);
    this.add(lock, lease);
    if (maxHoldMs !== undefined) this.holdDeadlines.schedule(lock, this.clock.now() + maxHoldMs);
    this.sink.change({ kind: 'lock.put', row });
    this.sink.event({
      type: 'lock.acquired',
      key,
      revision: token,
      leaseId: lease.id,
      app: lease.app,
      fencingToken: token,
    });
    return token;
  }

  /** Frees a lock, journals and announces it at a new revision; a live lease stops listing it. */
  drop(lock: Lock): void {
    this.byKey.delete(lock.key);
    this.holdDeadlines.remove(lock);
    this.perApp.add(lock.app, -1);
    const lease = this.leases.get(lock.leaseId);
    if (lease) lease.locks = keySetDelete(lease.locks, lock.key);
    this.sink.change({ kind: 'lock.delete', key: lock.key });
    this.sink.event({
      type: 'lock.released',
      key: lock.key,
      revision: this.nextRevision(),
      leaseId: lock.leaseId,
      app: lock.app,
      fencingToken: lock.token,
    });
  }

  /** The earliest maxHoldMs deadline, on the engine's clock. */
  nextDeadline(): number | undefined {
    return this.holdDeadlines.peekDeadline();
  }

  /** Takes up to `limit` overdue holds off the heap, earliest first; they stay held until dropped. */
  popDue(now: number, limit: number): Lock[] {
    return this.holdDeadlines.popDue(now, limit);
  }

  private add(lock: Lock, lease: Lease): void {
    this.byKey.set(lock.key, lock);
    lease.locks = keySetAdd(lease.locks, lock.key);
    this.perApp.add(lease.app, 1);
  }
}
