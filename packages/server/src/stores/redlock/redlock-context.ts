import { LeaseholdError } from '@leasehold/core';
import type { Masters } from './quorum.js';
import { driftMs } from './quorum.js';
import { RedlockWaiters } from './redlock-waiters.js';
import { RedlockWatch } from './watch.js';

/**
 * What a Redlock store's capabilities share: the masters, the clock-drift allowance, this server's
 * waiters and change feed, and whether the store is closed. Waiters and watch are this server's
 * own, because Redlock's queues and events live in each server, not in the masters.
 */
export class RedlockContext {
  readonly waiters: RedlockWaiters;
  readonly watch = new RedlockWatch();
  private closed = false;

  /** `undo` releases a grant that reached a waiter only after it gave up. */
  constructor(
    readonly masters: Masters,
    readonly driftFactor: number,
    undo: (key: string, leaseId: string) => Promise<unknown>,
  ) {
    this.waiters = new RedlockWaiters(undo);
  }

  /** True once the store began closing. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuses every later op. */
  close(): void {
    this.closed = true;
  }

  /** Throws UNAVAILABLE once the store is closed. */
  open(): void {
    if (this.closed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
  }

  /** True while a TTL granted at `started` still has time left after elapsed time and clock drift. */
  valid(ttlMs: number, started: number): boolean {
    return ttlMs - (performance.now() - started) - driftMs(ttlMs, this.driftFactor) > 0;
  }

  /** Announces a grant made through this server. */
  acquired(key: string, leaseId: string, token: number, app: string | undefined): void {
    const lease = { leaseId, ...(app ? { app } : {}) };
    this.watch.publish({ type: 'lock.acquired', key, revision: token, ...lease, fencingToken: token });
  }

  /** Announces a release made through this server and lets the head waiter here try at once. */
  released(key: string, leaseId?: string, app?: string): void {
    const lease = leaseId ? { leaseId, ...(app ? { app } : {}) } : {};
    this.watch.publish({ type: 'lock.released', key, revision: 0, ...lease });
    this.waiters.wake(key);
  }
}
