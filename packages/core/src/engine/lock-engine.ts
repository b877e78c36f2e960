import type { Snapshot } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import type { Idempotency } from '../idempotency.js';
import type { PutOptions } from '../kv/kv-store.js';
import type { AcquireAllResult } from '../locks/multi-lock-store.js';
import type { AcquireResult, LeaseApp, LeaseInfo, ReleaseStatus } from '../types.js';
import type { Lease, Lock } from './engine-records.js';
import { leaseInfo } from './engine-records.js';
import type { LockWaiter, MultiWaiter } from './engine-sink.js';
import { LockHandOff } from './lock-hand-off.js';
import { keySetValues } from './key-set.js';

/**
 * The in-memory state machine: leases, exclusive locks with fencing tokens, FIFO waiters with
 * direct hand-off, lease-bound keys and counters. Synchronous and timer-free: a driver calls
 * `expireDue` when `nextDeadline` passes. Fencing tokens are store revisions, so they rise
 * across every lock and survive restarts with the revision. The tables and the reads are
 * EngineState's; this class holds the transitions and the order in which they journal and
 * announce. It does no I/O and keeps no timer.
 */
export class LockEngine extends LockHandOff {
  /** Loads a snapshot; every lease's countdown restarts at its full TTL. */
  restore(snapshot: Snapshot): void {
    const now = this.clock.now();
    this.revision = snapshot.revision;
    this.leases.restore(snapshot.leases, now);
    this.locks.restore(snapshot.locks, now);
    this.permits.restore(snapshot.pools ?? [], snapshot.grants ?? [], now);
    this.boundKv.restore(snapshot.kv, snapshot.counters);
    this.idempotency.restore(snapshot.idempotency ?? []);
  }

  /** Grants a lease and starts its countdown. */
  grantLease(ttlMs: number, owner: string | undefined, app: string, implicit = false): LeaseInfo {
    return leaseInfo(this.leases.grant(ttlMs, owner, app, implicit));
  }

  /** Restarts a live lease's countdown; undefined when it is gone or lapsed. */
  keepAlive(leaseId: string, app: LeaseApp): LeaseInfo | undefined {
    const lease = this.leases.live(leaseId, app);
    if (!lease) return undefined;
    this.leases.keepAlive(lease);
    return leaseInfo(lease);
  }

  /** Restarts many live leases' countdowns; returns the ids that are gone or lapsed. */
  keepAliveMany(leaseIds: readonly string[], app: LeaseApp): string[] {
    const now = this.clock.now();
    const live: Lease[] = [];
    const lost: string[] = [];
    for (const leaseId of leaseIds) {
      const lease = this.leases.owned(leaseId, app);
      // Past its deadline but not yet swept: gone, as for one keep-alive.
      if (lease && lease.deadline > now) live.push(lease);
      else lost.push(leaseId);
    }
    this.leases.keepAliveMany(live, now);
    return lost;
  }

  /** Ends a lease and releases what it holds; false when `app` has no such lease. */
  revokeLease(leaseId: string, app: LeaseApp): boolean {
    const lease = this.leases.owned(leaseId, app);
    if (!lease) return false;
    this.endLease(lease, false);
    return true;
  }

  /** Takes a free lock; idempotent for the lease already holding it. Throws LEASE_NOT_FOUND. */
  tryAcquire(key: string, leaseId: string, app: LeaseApp, maxHoldMs?: number): AcquireResult {
    const lease = this.leases.require(leaseId, app);
    const held = this.locks.get(key);
    if (held) {
      if (held.leaseId === leaseId) return { acquired: true, fencingToken: held.token };
      return { acquired: false, holder: this.holderOf(held) };
    }
    if (this.queues.size(key) > 0) return { acquired: false };
    return { acquired: true, fencingToken: this.locks.grant(lease, key, maxHoldMs) };
  }

  /** Queues a waiter behind the current holder and earlier waiters. Call after tryAcquire failed. */
  enqueue(waiter: LockWaiter): void {
    this.queues.add(waiter, this.leases.require(waiter.leaseId, waiter.app));
    if (!this.locks.has(waiter.key)) this.handOff(waiter.key);
  }

  /**
   * Takes every key for the lease in this one step, or none (ADR 0025): refused while another
   * lease holds one (named in `holders`) or a free one has waiters. Keys the lease holds count as
   * taken, with their tokens. Throws LEASE_NOT_FOUND.
   */
  tryAcquireAll(
    keys: readonly string[],
    leaseId: string,
    app: LeaseApp,
    maxHoldMs?: number,
  ): AcquireAllResult {
    const lease = this.leases.require(leaseId, app);
    const holders = this.holdersOf(keys, leaseId);
    const queued = keys.some((key) => !this.locks.has(key) && this.queues.size(key) > 0);
    if (queued || Object.keys(holders).length > 0) return { acquired: false, holders };
    return { acquired: true, fencingTokens: this.takeAll(lease, keys, maxHoldMs) };
  }

  /** Queues a multi-lock waiter in every key's queue at once. Call after tryAcquireAll failed. */
  enqueueAll(waiter: MultiWaiter): void {
    this.queues.add(waiter, this.leases.require(waiter.leaseId, waiter.app));
    this.grantAllIfReady(waiter);
  }

  /** Releases each key the lease holds, in this one step, handing each on; a status per key. */
  releaseAll(keys: readonly string[], leaseId: string, app: LeaseApp): Record<string, ReleaseStatus> {
    const statuses: Record<string, ReleaseStatus> = {};
    for (const key of keys) statuses[key] = this.release(key, leaseId, app);
    return statuses;
  }

  /** Releases a lock the lease holds and hands it to its next waiter. */
  release(key: string, leaseId: string, app: LeaseApp): ReleaseStatus {
    const lock = this.locks.get(key);
    if (!lock) return 'not_held';
    // Another app's lease is no lease of the caller's: its lock is someone else's.
    if (lock.leaseId !== leaseId || (app !== undefined && lock.app !== app)) return 'held_by_other';
    this.releaseLock(lock);
    return 'released';
  }

  /** Releases a lock whoever holds it, and hands it on; false when it was free. */
  forceRelease(key: string): boolean {
    const lock = this.locks.get(key);
    if (!lock) return false;
    this.releaseLock(lock);
    return true;
  }

  /** Writes a value; the fence, version and lease are checked first, in that order. A repeated key replays. */
  put(options: PutOptions): { version: number; revision: number } {
    const { idempotency } = options;
    if (!idempotency) return this.boundKv.put(options);
    const first = this.idempotency.replay(idempotency);
    if (first !== undefined) return JSON.parse(first) as { version: number; revision: number };
    const result = this.boundKv.put(options);
    this.idempotency.record(idempotency, JSON.stringify(result));
    return result;
  }

  /** Deletes a key; false when it was absent. */
  delete(key: string): boolean {
    return this.boundKv.delete(key);
  }

  /** Adds to a counter; returns its new value. A repeated key returns the first value. */
  counterAdd(name: string, delta: number, idempotency?: Idempotency): number {
    if (!idempotency) return this.kv.counterAdd(name, delta);
    const first = this.idempotency.replay(idempotency);
    if (first !== undefined) return Number(first);
    const value = this.kv.counterAdd(name, delta);
    this.idempotency.record(idempotency, String(value));
    return value;
  }

  /** Sets a counter. */
  counterSet(name: string, value: number): void {
    this.kv.counterSet(name, value);
  }

  /** Ends up to `limit` expired leases and overdue holds; returns how many it ended. */
  expireDue(limit: number): number {
    const now = this.clock.now();
    let done = 0;
    for (const lock of this.locks.popDue(now, limit)) {
      this.forceRelease(lock.key);
      done++;
    }
    done += this.permits.expireHolds(now, limit - done);
    for (const lease of this.leases.popDue(now, limit - done)) {
      this.endLease(lease, true);
      done++;
    }
    return done;
  }

  /** Fails every waiter, as on shutdown. */
  failAllWaiters(error: LeaseholdError): void {
    for (const waiter of this.queues.each()) {
      this.dequeue(waiter);
      waiter.settle(error);
    }
    this.permits.failAllWaiters(error);
  }

  /**
   * Delete, journal, announce, fail the waiters, delete the bound keys, release the locks and hand
   * each to its next waiter, then the same for its permits: the journal and watchers see it in this order.
   */
  private endLease(lease: Lease, expired: boolean): void {
    this.leases.delete(lease);
    if (expired) this.announceExpiry(lease);
    for (const waiter of lease.waiters ?? []) {
      this.cancelWaiter(waiter);
      waiter.settle(new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${lease.id} ended while waiting`));
    }
    this.boundKv.deleteBoundTo(lease);
    for (const key of keySetValues(lease.locks)) {
      const lock = this.locks.get(key);
      if (lock) this.locks.drop(lock);
      this.handOff(key);
    }
    this.permits.endLease(lease);
  }

  private announceExpiry(lease: Lease): void {
    const revision = this.nextRevision();
    this.sink.event({ type: 'lease.expired', key: lease.id, revision, leaseId: lease.id, app: lease.app });
  }

  /** Frees a lock and hands it to its next waiter. */
  private releaseLock(lock: Lock): void {
    this.locks.drop(lock);
    this.handOff(lock.key);
  }
}
