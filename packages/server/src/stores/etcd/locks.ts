import { UnlockStatus as Unlock, storeError } from '@leasehold/core';
import type {
  AcquireOptions,
  AcquireResult,
  GrantOptions,
  UnlockStatus,
  LeaseApp,
  LockInfo,
  LockPeek,
  LockStore,
  ReleaseStatus,
} from '@leasehold/core';
import type { IKeyValue } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { waitForLock } from './etcd-waiter.js';
import type { WaitRequest } from './etcd-waiter.js';
import { DaprGrants } from './dapr-grants.js';
import { DeleteHub } from './delete-hub.js';
import { grantAndTake } from './grant-and-take.js';
import { releaseAndRevoke } from './release-and-revoke.js';
import { HoldTimers } from './hold-timers.js';
import { leaseGuard, leaseGuardKey, leaseNotFound, requireLease, resolveLease } from './lease-guard.js';
import {
  decodeLock,
  grantToken,
  grantWrites,
  holderOf,
  releaseGrant,
  releaseWrites,
  tokenOf,
} from './lock-value.js';
import { EtcdMultiLocks } from './multi-locks.js';
import { WaitsInProgress } from './waiter-gate.js';

const FORCE_ATTEMPTS = 10;

/**
 * The locks of a `lock.etcd` store: a lock is a key on its holder's lease (fencing token = its create
 * revision and its slot in the batch that wrote it, etcd-position.ts), taken in a transaction that checks the lease, the lock and the queue at once. Waiters
 * queue as in etcd's fair-lock recipe (etcd-waiter.ts); maxHoldMs is kept in the lock's value and
 * enforced by this server's HoldTimers and by the head waiter on any server.
 */
export class EtcdLocks implements LockStore {
  private readonly hub: DeleteHub;
  private readonly holds: HoldTimers;
  private readonly waits = new WaitsInProgress();
  private readonly daprGrants = new DaprGrants();
  /** All-or-nothing acquires of these locks, sharing their delete hub, hold timers and waits. */
  readonly multi: EtcdMultiLocks;

  constructor(private readonly ctx: EtcdContext) {
    this.hub = new DeleteHub(ctx.mux, ctx.keys);
    this.holds = new HoldTimers((key, token, app) => releaseGrant(ctx, key, token, app));
    this.multi = new EtcdMultiLocks(ctx, this.hub, this.holds, this.waits, () => this.hubReady());
  }

  acquire(options: AcquireOptions): Promise<AcquireResult> {
    return this.ctx.open(async () => {
      const { key, maxHoldMs, signal } = options;
      const lease = await requireLease(this.ctx, options.leaseId, options.app);
      const waitMs = options.waitMs ?? 0;
      const result =
        waitMs <= 0 || signal?.aborted
          ? await this.tryAcquire(key, lease, maxHoldMs)
          : await this.waitInQueue({ key, lease, waitMs, maxHoldMs, signal });
      if (result.acquired && maxHoldMs !== undefined) {
        this.holds.schedule(key, result.fencingToken, lease.app, maxHoldMs);
      }
      return result;
    });
  }

  /** Deletes the lock only if this lease (of its app, nonce right) still holds it. */
  release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus> {
    return this.ctx.open(async () => {
      const lease = await resolveLease(this.ctx, leaseId, app);
      const lockKey = this.ctx.keys.lock(key);
      if (!lease) {
        const held = await this.ctx.conn.range('release', { key: lockKey, count_only: true });
        return Number(held.count) > 0 ? 'held_by_other' : 'not_held';
      }
      const response = await this.ctx.conn.txn(
        'release',
        [compare.lease(lockKey, '=', lease.etcdId), leaseGuard(this.ctx, lease)],
        releaseWrites(this.ctx, key, lease.app),
        [request.get(lockKey, { count_only: true })],
      );
      if (!response.succeeded) {
        return Number(response.responses[0]?.response_range.count ?? 0) > 0 ? 'held_by_other' : 'not_held';
      }
      this.holds.cancel(key);
      return 'released';
    });
  }

  /** Deletes the lock whoever holds it: reads the grant, then releases that grant. */
  forceRelease(key: string): Promise<boolean> {
    return this.ctx.open(async () => {
      const lockKey = this.ctx.keys.lock(key);
      for (let attempt = 0; attempt < FORCE_ATTEMPTS; attempt++) {
        const held = (await this.ctx.conn.range('forceRelease', { key: lockKey })).kvs[0];
        if (!held) return false;
        if (await releaseGrant(this.ctx, key, tokenOf(held), decodeLock(held).app)) return true;
      }
      // Granted anew every time we looked: still free it, leaving the app index to its lease's end.
      const response = await this.ctx.conn.txn('forceRelease', [], [request.delete(lockKey)]);
      return Number(response.responses[0]?.response_delete_range.deleted ?? 0) > 0;
    });
  }

  /** Holder, owner, token, the nearer of lease expiry and hold deadline, and waiters, in one read. */
  describe(key: string): Promise<LockInfo> {
    return this.ctx.open(async () => {
      const { held, waiters } = await this.readLock(key, 'describeLock');
      if (!held) return { key, held: false, waiters };
      return this.describeHeld(key, held, waiters);
    });
  }

  /** Dapr's TryLock: the etcd lease, then the lock and the lease's record in one transaction. */
  tryAcquireWithNewLease(grant: GrantOptions, key: string): Promise<AcquireResult> {
    return this.ctx.open(() => grantAndTake(this.ctx, grant, key, this.daprGrants));
  }

  /** Dapr's Unlock of a grant this server made: its one transaction, without the peek before it. */
  unlockKnownGrant(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus | undefined> {
    return this.ctx.open(async () => {
      const grant = this.daprGrants.take(key, owner, app);
      if (!grant || !(await releaseAndRevoke(this.ctx, key, grant.leaseId, app, true))) return undefined;
      return Unlock.SUCCESS;
    });
  }

  /** Dapr's Unlock of an implicit lease: one transaction, the etcd lease revoked after it. */
  releaseAndRevoke(key: string, leaseId: string, app: LeaseApp): Promise<boolean> {
    return this.ctx.open(() => releaseAndRevoke(this.ctx, key, leaseId, app));
  }

  /** Holder and waiters in one linearizable read; the holding lease's facts from the directory. */
  peek(key: string): Promise<LockPeek> {
    return this.ctx.open(async () => {
      const { held, waiters } = await this.readLock(key, 'peekLock');
      if (!held) return { held: false, waiters };
      const value = decodeLock(held);
      const facts = await this.ctx.leases.find(value.leaseId);
      return {
        held: true,
        waiters,
        leaseId: value.leaseId,
        ...(value.app === undefined ? {} : { app: value.app }),
        ...(facts ? { lease: facts } : {}),
      };
    });
  }

  /** The lock's key and its queue's length, read in one revision. */
  private async readLock(key: string, op: string): Promise<{ held: IKeyValue | undefined; waiters: number }> {
    const queue = this.ctx.keys.queue(key);
    const response = await this.ctx.conn.txn(
      op,
      [],
      [request.get(this.ctx.keys.lock(key)), request.count(queue, prefixEnd(queue))],
    );
    return { held: rangeAt(response, 0), waiters: Number(response.responses[1]?.response_range.count ?? 0) };
  }

  /** Held locks under `prefix`, in key order. */
  list(prefix: string, limit: number): Promise<LockInfo[]> {
    return this.ctx.open(async () => {
      const { conn, keys } = this.ctx;
      const start = keys.lock(prefix);
      const response = await conn.range('listLocks', { key: start, range_end: prefixEnd(start), limit });
      return Promise.all(
        response.kvs.map(async (kv) => {
          const key = keys.lockName(kv.key);
          const queue = keys.queue(key);
          const range = { key: queue, range_end: prefixEnd(queue), count_only: true };
          const count = await conn.range('listLocks', range);
          return this.describeHeld(key, kv, Number(count.count));
        }),
      );
    });
  }

  check(key: string, token: number): Promise<boolean> {
    return this.ctx.open(async () => {
      const held = (await this.ctx.conn.range('checkFence', { key: this.ctx.keys.lock(key) })).kvs[0];
      return held !== undefined && tokenOf(held) === token;
    });
  }

  /** Stops hold timers; waiters leave their queues (so no other server waits behind them), then fail. */
  async close(): Promise<void> {
    this.holds.close();
    await this.waits.close();
  }

  /** A free lock with an empty queue goes to the lease; the lease must be alive and the caller's. */
  private async tryAcquire(
    key: string,
    lease: LeaseRef,
    maxHoldMs: number | undefined,
  ): Promise<AcquireResult> {
    const lockKey = this.ctx.keys.lock(key);
    const queue = this.ctx.keys.queue(key);
    const response = await this.ctx.conn.slotted('acquire', (slot) => ({
      compare: [
        leaseGuard(this.ctx, lease),
        compare.created(lockKey, '=', 0),
        // Every key of the queue range has create revision 0, i.e. the queue is empty.
        compare.created(queue, '=', 0, prefixEnd(queue)),
      ],
      success: grantWrites(this.ctx, key, lease, maxHoldMs, slot),
      failure: [request.get(leaseGuardKey(this.ctx, lease), { keys_only: true }), request.get(lockKey)],
    }));
    if (response.succeeded) {
      return { acquired: true, fencingToken: grantToken(response.header.revision, response.slot) };
    }
    if (!rangeAt(response, 0)) throw leaseNotFound(lease.id);
    const held = rangeAt(response, 1);
    if (!held) return { acquired: false };
    if (held.lease === lease.etcdId) return { acquired: true, fencingToken: tokenOf(held) };
    return { acquired: false, holder: await holderOf(this.ctx, held) };
  }

  /** Waits in the lock's queue once this server's delete watches are up; close() can stop it. */
  private async waitInQueue(wait: WaitRequest): Promise<AcquireResult> {
    await this.hubReady();
    return this.waits.run((gate) => waitForLock(this.ctx, this.hub, gate, wait));
  }

  /** The delete hub's watches are registered, or STORE_ERROR after the call timeout. */
  private async hubReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const ms = this.ctx.conn.config.timeoutMs;
      timer = setTimeout(() => reject(storeError('acquire', new Error(`watch not ready in ${ms} ms`))), ms);
      timer.unref();
    });
    try {
      await Promise.race([this.hub.start(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async describeHeld(key: string, held: IKeyValue, waiters: number): Promise<LockInfo> {
    const value = decodeLock(held);
    const [holder, leaseTtl] = await Promise.all([holderOf(this.ctx, held), this.remainingMs(held.lease)]);
    const ends = Math.min(
      leaseTtl ?? Infinity,
      value.holdUntil === undefined ? Infinity : value.holdUntil - Date.now(),
    );
    return {
      key,
      held: true,
      leaseId: holder.leaseId,
      ...(holder.app === undefined ? {} : { app: holder.app }),
      ...(holder.owner === undefined ? {} : { owner: holder.owner }),
      fencingToken: holder.fencingToken,
      acquiredAt: value.acquiredAt,
      ...(Number.isFinite(ends) ? { expiresInMs: Math.max(0, Math.round(ends)) } : {}),
      waiters,
    };
  }

  private async remainingMs(etcdId: string): Promise<number | undefined> {
    try {
      const ttl = await this.ctx.conn.client.leaseClient.leaseTimeToLive({ ID: etcdId });
      return Number(ttl.TTL) < 0 ? undefined : Number(ttl.TTL) * 1000;
    } catch {
      // A description without expiry beats a failed description.
      return undefined;
    }
  }
}
