import { LeaseholdError, newLeaseId } from '@leasehold/core';
import type {
  AcquireOptions,
  AcquireResult,
  LeaseApp,
  LockInfo,
  LockStore,
  QueuedWaiter,
  ReleaseStatus,
} from '@leasehold/core';
import { RedisWaiters } from '../redis/redis-waiters.js';
import { acquireStep } from './acquire-step.js';
import type { AcquireStep } from './acquire-step.js';
import { deleteOwnGrant, handOff, readLock, releaseAndHandOff } from './handoff.js';
import { PgLockReads } from './lock-reads.js';
import type { PgContext } from './pg-context.js';
import { PgWaiterBackend } from './waiter-backend.js';

/**
 * Exclusive locks in the `locks` table, one transaction per operation under the key's advisory
 * lock. A release hands the lock to the head waiter in its own transaction; the waiting server
 * hears of it by NOTIFY (`g <waiter> <token> <key>`) once that transaction commits. The waiting
 * machinery (one unref()ed timer per waited-on key at the holder's deadline, a re-check after the
 * listener reconnects) is the Redis store's: the same messages, another backend.
 */
export class PgLocks implements LockStore {
  readonly waiters: RedisWaiters<AcquireResult>;
  private readonly reads: PgLockReads;
  /** Acquire transactions under way: close lets them answer before it fails their waits. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly ctx: PgContext) {
    this.waiters = new RedisWaiters(new PgWaiterBackend(ctx));
    this.reads = new PgLockReads(ctx);
  }

  async acquire(options: AcquireOptions): Promise<AcquireResult> {
    const waitMs = options.waitMs ?? 0;
    const waiterId = waitMs > 0 ? newLeaseId() : undefined;
    // Registered before the transaction, so a grant announced the moment it commits is not lost.
    const pending = waiterId === undefined ? undefined : this.waiters.register(waiterId, [options.key]);
    let step: AcquireStep;
    let tokens: Map<string, number>;
    try {
      const waiter = waiterId === undefined ? undefined : { id: waiterId, server: this.ctx.serverId };
      const running = this.ctx.txnWithTokens('acquire', (txn) => acquireStep(txn, options, waiter));
      this.inFlight.add(running);
      [step, tokens] = await running.finally(() => this.inFlight.delete(running));
    } catch (error) {
      pending?.discard();
      throw error;
    }
    if (step.kind === 'queued' && pending) {
      return pending.wait(waitMs, { [options.key]: step.remainingMs }, options.signal);
    }
    pending?.discard();
    const drawn = tokens.get(options.key);
    if (options.maxHoldMs !== undefined) this.ctx.reaper.wakeIn(options.maxHoldMs);
    switch (step.kind) {
      case 'granted':
      case 'held':
        return { acquired: true, fencingToken: drawn ?? (step.kind === 'held' ? step.token : 0) };
      case 'refused':
        return {
          acquired: false,
          holder: { ...step.holder, fencingToken: drawn ?? step.holder.fencingToken },
        };
      default:
        throw new LeaseholdError('STORE_ERROR', 'acquire queued without a waiter');
    }
  }

  async release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus> {
    return this.ctx.txn('release', async (txn) => {
      await txn.lockKeys([key]);
      if (await deleteOwnGrant(txn, key, leaseId, app)) {
        txn.change({ type: 'lock.released', key, leaseId });
        await handOff(txn, key);
        return 'released';
      }
      const lock = await readLock(txn, key);
      if (!lock) return 'not_held';
      if (!lock.live) {
        await releaseAndHandOff(txn, key, lock.leaseId); // lapsed: tidy it up on the way
        return 'not_held';
      }
      if (lock.leaseId !== leaseId || (app !== undefined && lock.app !== app)) return 'held_by_other';
      await releaseAndHandOff(txn, key, leaseId);
      return 'released';
    });
  }

  async forceRelease(key: string): Promise<boolean> {
    return this.ctx.txn('forceRelease', async (txn) => {
      await txn.lockKeys([key]);
      const lock = await readLock(txn, key);
      if (!lock) return false;
      await releaseAndHandOff(txn, key, lock.leaseId);
      return lock.live;
    });
  }

  describe(key: string): Promise<LockInfo> {
    return this.reads.describe(key);
  }

  list(prefix: string, limit: number): Promise<LockInfo[]> {
    return this.reads.list(prefix, limit);
  }

  queue(key: string): Promise<QueuedWaiter[]> {
    return this.reads.queue(key);
  }

  check(key: string, token: number): Promise<boolean> {
    return this.reads.check(key, token);
  }

  /** Fails this server's waiters and takes them out of their queues (best effort: the pool closes next). */
  async close(): Promise<void> {
    // A wait whose transaction is still under way has no reader yet: failing it now would reject unheard.
    await Promise.allSettled([...this.inFlight]);
    const backend = new PgWaiterBackend(this.ctx);
    await this.waiters.close((waiterId, keys) => backend.cancel(waiterId, keys));
  }
}
