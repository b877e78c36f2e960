import { LeaseholdError, storeError } from '@leasehold/core';
import type {
  AcquireOptions,
  AcquireResult,
  GrantOptions,
  KvEntry,
  LeaseDetail,
  LeaseInfo,
  LockInfo,
  PutOptions,
  ReleaseStatus,
  Store,
  UnlockStatus,
  Unsubscribe,
  WatchOptions,
} from '@leasehold/core';
import { DeleteHub } from './delete-hub.js';
import { daprTryLock, daprUnlock } from './etcd-dapr.js';
import type { EtcdConnection } from './etcd-connection.js';
import * as kv from './etcd-kv.js';
import { EtcdKeys } from './etcd-keys.js';
import * as leases from './etcd-leases.js';
import type { EtcdContext } from './etcd-leases.js';
import * as locks from './etcd-locks.js';
import { waitForLock } from './etcd-waiter.js';
import { WaiterGate } from './waiter-gate.js';
import { watchStore } from './etcd-watch.js';
import { HoldTimers } from './hold-timers.js';
import { WatchMux } from './watch-mux.js';

const CLOSE_GRACE_MS = 2_000;

/** The `lock.etcd` store: every Store operation as etcd leases, transactions and watches. */
export class EtcdStore implements Store {
  private readonly ctx: EtcdContext;
  private readonly mux: WatchMux;
  private readonly hub: DeleteHub;
  private readonly holds: HoldTimers;
  private readonly waits = new Map<WaiterGate, Promise<unknown>>();
  private closed = false;

  constructor(private readonly conn: EtcdConnection) {
    this.ctx = { conn, keys: new EtcdKeys(conn.config.namespace) };
    this.mux = new WatchMux(conn.client);
    this.hub = new DeleteHub(this.mux, this.ctx.keys);
    this.holds = new HoldTimers((key, token) => locks.releaseGrant(this.ctx, key, token));
  }

  grantLease(options: GrantOptions): Promise<LeaseInfo> {
    return this.open(() => leases.grantLease(this.ctx, options.ttlMs, options.owner));
  }

  keepAlive(leaseId: string): Promise<LeaseInfo | undefined> {
    return this.open(() => leases.keepAlive(this.ctx, leaseId));
  }

  revokeLease(leaseId: string): Promise<boolean> {
    return this.open(() => leases.revokeLease(this.ctx, leaseId));
  }

  getLease(leaseId: string): Promise<LeaseDetail | undefined> {
    return this.open(() => leases.getLease(this.ctx, leaseId));
  }

  acquire(options: AcquireOptions): Promise<AcquireResult> {
    return this.open(async () => {
      const { key, leaseId, maxHoldMs, signal } = options;
      const waitMs = options.waitMs ?? 0;
      if (waitMs <= 0 || signal?.aborted) {
        const result = await locks.tryAcquire(this.ctx, key, leaseId, maxHoldMs);
        return result.acquired ? this.granted(key, result.fencingToken, maxHoldMs) : result;
      }
      await this.hubReady();
      const gate = new WaiterGate();
      const waiting = waitForLock(this.ctx, this.hub, gate, { key, leaseId, waitMs, maxHoldMs, signal });
      this.waits.set(
        gate,
        waiting.catch(() => undefined),
      );
      try {
        const result = await waiting;
        return result.acquired ? this.granted(key, result.fencingToken, maxHoldMs) : result;
      } finally {
        this.waits.delete(gate);
      }
    });
  }

  release(key: string, leaseId: string): Promise<ReleaseStatus> {
    return this.open(async () => {
      const status = await locks.release(this.ctx, key, leaseId);
      if (status === 'released') this.holds.cancel(key);
      return status;
    });
  }

  forceRelease(key: string): Promise<boolean> {
    return this.open(() => locks.forceRelease(this.ctx, key));
  }

  describeLock(key: string): Promise<LockInfo> {
    return this.open(() => locks.describeLock(this.ctx, key));
  }

  listLocks(prefix: string, limit: number): Promise<LockInfo[]> {
    return this.open(() => locks.listLocks(this.ctx, prefix, limit));
  }

  checkFence(key: string, token: number): Promise<boolean> {
    return this.open(() => locks.checkFence(this.ctx, key, token));
  }

  daprTryLock(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.open(() => daprTryLock(this.ctx, key, owner, ttlMs));
  }

  daprUnlock(key: string, owner: string): Promise<UnlockStatus> {
    return this.open(() => daprUnlock(this.ctx, key, owner));
  }

  put(options: PutOptions): Promise<{ version: number; revision: number }> {
    return this.open(() => kv.put(this.ctx, options));
  }

  get(key: string): Promise<KvEntry | undefined> {
    return this.open(() => kv.get(this.ctx, key));
  }

  delete(key: string): Promise<boolean> {
    return this.open(() => kv.remove(this.ctx, key));
  }

  counterAdd(name: string, delta: number): Promise<number> {
    return this.open(() => kv.counterAdd(this.ctx, name, delta));
  }

  counterGet(name: string): Promise<number> {
    return this.open(() => kv.counterGet(this.ctx, name));
  }

  counterSet(name: string, value: number): Promise<void> {
    return this.open(() => kv.counterSet(this.ctx, name, value));
  }

  watch(options: WatchOptions): Unsubscribe {
    if (this.closed) return () => undefined;
    return watchStore(this.ctx.keys, this.mux, options);
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.conn.client.maintenance.status();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.holds.close();
    // Waiters leave their queues (so no other server waits behind them), then fail UNAVAILABLE.
    for (const gate of this.waits.keys()) gate.stop('closed');
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.waits.values()),
      new Promise((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS).unref())),
    ]);
    clearTimeout(grace);
    this.mux.close();
    this.conn.close();
  }

  /** The delete hub's watches are registered, or STORE_ERROR after the call timeout. */
  private async hubReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const ms = this.conn.config.timeoutMs;
      timer = setTimeout(() => reject(storeError('acquire', new Error(`watch not ready in ${ms} ms`))), ms);
      timer.unref();
    });
    try {
      await Promise.race([this.hub.start(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private granted(key: string, fencingToken: number, maxHoldMs: number | undefined): AcquireResult {
    if (maxHoldMs !== undefined) this.holds.schedule(key, fencingToken, maxHoldMs);
    return { acquired: true, fencingToken };
  }

  private async open<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
    return operation();
  }
}
