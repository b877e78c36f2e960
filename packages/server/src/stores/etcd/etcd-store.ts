import type { FlatStore } from '../flat-store.js';
import { LeaseholdError, storeError } from '@leasehold/core';
import type {
  AcquireOptions,
  AcquireResult,
  GrantOptions,
  KvEntry,
  LeaseApp,
  LeaseDetail,
  LeaseInfo,
  LockInfo,
  PutOptions,
  ReleaseStatus,
  StoreStats,
  UnlockStatus,
  Unsubscribe,
  Usage,
  UsageQuery,
  WatchOptions,
} from '@leasehold/core';
import { DeleteHub } from './delete-hub.js';
import { daprTryLock, daprUnlock } from './etcd-dapr.js';
import type { EtcdConnection } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import * as kv from './etcd-kv.js';
import { EtcdKeys } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import * as leases from './etcd-leases.js';
import * as locks from './etcd-locks.js';
import { usage } from './etcd-usage.js';
import { stats } from './etcd-stats.js';
import { LeaseDirectory } from './lease-directory.js';
import { waitForLock } from './etcd-waiter.js';
import { WaiterGate } from './waiter-gate.js';
import { watchStore } from './etcd-watch.js';
import { HoldTimers } from './hold-timers.js';
import { WatchMux } from './watch-mux.js';

const CLOSE_GRACE_MS = 2_000;

/** The `lock.etcd` store: every Store operation as etcd leases, transactions and watches. */
export class EtcdStore implements FlatStore {
  private readonly ctx: EtcdContext;
  private readonly mux: WatchMux;
  private readonly hub: DeleteHub;
  private readonly holds: HoldTimers;
  private readonly waits = new Map<WaiterGate, Promise<unknown>>();
  private closed = false;

  constructor(private readonly conn: EtcdConnection) {
    const keys = new EtcdKeys(conn.config.namespace);
    this.ctx = { conn, keys, leases: new LeaseDirectory(conn, keys) };
    this.mux = new WatchMux(conn.client);
    this.hub = new DeleteHub(this.mux, this.ctx.keys);
    this.holds = new HoldTimers((key, token, app) => locks.releaseGrant(this.ctx, key, token, app));
  }

  grantLease(options: GrantOptions): Promise<LeaseInfo> {
    return this.open(() => leases.grantLease(this.ctx, options.ttlMs, options.owner, options.app));
  }

  keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined> {
    return this.open(() => leases.keepAlive(this.ctx, leaseId, app));
  }

  revokeLease(leaseId: string, app: LeaseApp): Promise<boolean> {
    return this.open(() => leases.revokeLease(this.ctx, leaseId, app));
  }

  getLease(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined> {
    return this.open(() => leases.getLease(this.ctx, leaseId, app));
  }

  acquire(options: AcquireOptions): Promise<AcquireResult> {
    return this.open(async () => {
      const { key, maxHoldMs, signal } = options;
      const lease = await this.lease(options.leaseId, options.app);
      const waitMs = options.waitMs ?? 0;
      if (waitMs <= 0 || signal?.aborted) {
        const result = await locks.tryAcquire(this.ctx, key, lease, maxHoldMs);
        return result.acquired ? this.granted(key, lease, result.fencingToken, maxHoldMs) : result;
      }
      await this.hubReady();
      const gate = new WaiterGate();
      const waiting = waitForLock(this.ctx, this.hub, gate, { key, lease, waitMs, maxHoldMs, signal });
      this.waits.set(
        gate,
        waiting.catch(() => undefined),
      );
      try {
        const result = await waiting;
        return result.acquired ? this.granted(key, lease, result.fencingToken, maxHoldMs) : result;
      } finally {
        this.waits.delete(gate);
      }
    });
  }

  release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus> {
    return this.open(async () => {
      const lease = await leases.resolveLease(this.ctx, leaseId, app);
      if (!lease) return locks.releaseUnknown(this.ctx, key);
      const status = await locks.release(this.ctx, key, lease);
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

  daprTryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult> {
    return this.open(() => daprTryLock(this.ctx, key, owner, ttlMs, app));
  }

  daprUnlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus> {
    return this.open(() => daprUnlock(this.ctx, key, owner, app));
  }

  put(options: PutOptions): Promise<{ version: number; revision: number }> {
    return this.open(async () => {
      const lease =
        options.leaseId === undefined ? undefined : await this.lease(options.leaseId, options.app);
      return kv.put(this.ctx, options, lease);
    });
  }

  get(key: string): Promise<KvEntry | undefined> {
    return this.open(() => kv.get(this.ctx, key));
  }

  delete(key: string): Promise<boolean> {
    return this.open(() => kv.remove(this.ctx, key));
  }

  listKeys(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]> {
    return this.open(() => kv.list(this.ctx, prefix, after, limit));
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

  usage(query: UsageQuery): Promise<Usage> {
    return this.open(() => usage(this.ctx, query));
  }

  stats(): Promise<StoreStats> {
    return this.open(() => stats(this.ctx));
  }

  watch(options: WatchOptions): Unsubscribe {
    if (this.closed) return () => undefined;
    return watchStore(this.ctx.keys, this.ctx.leases, this.mux, options);
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    await this.conn.reachable();
    return true;
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

  /** The lease an operation names, as its caller may use it; LEASE_NOT_FOUND when it names none. */
  private async lease(leaseId: string, app: LeaseApp): Promise<LeaseRef> {
    const lease = await leases.resolveLease(this.ctx, leaseId, app);
    if (!lease) throw leases.leaseNotFound(leaseId);
    return lease;
  }

  private granted(
    key: string,
    lease: LeaseRef,
    fencingToken: number,
    maxHoldMs: number | undefined,
  ): AcquireResult {
    if (maxHoldMs !== undefined) this.holds.schedule(key, fencingToken, lease.app, maxHoldMs);
    return { acquired: true, fencingToken };
  }

  private async open<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
    return operation();
  }
}
