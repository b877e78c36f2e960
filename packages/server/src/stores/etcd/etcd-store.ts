import { PoolRwLocks } from '@leasehold/core';
import type { Store, StoreStats, Usage, UsageQuery } from '@leasehold/core';
import { EtcdCounters } from './counters.js';
import type { EtcdConnection } from './etcd-connection.js';
import { EtcdContext } from './etcd-context.js';
import { stats } from './etcd-stats.js';
import { usage } from './etcd-usage.js';
import { EtcdKv } from './kv.js';
import { EtcdLeases } from './leases.js';
import { EtcdLocks } from './locks.js';
import type { EtcdMultiLocks } from './multi-locks.js';
import { EtcdSemaphores } from './semaphores.js';
import { EtcdWatch } from './watch.js';

/**
 * The `lock.etcd` store, one capability per primitive, each operation an etcd transaction (or a
 * lease call) so several Leasehold servers may share the cluster. It keeps no Dapr format of its
 * own: core maps Dapr's lock API onto its leases and locks, the implicit lease an etcd lease like any.
 */
export class EtcdStore implements Store {
  readonly leases: EtcdLeases;
  readonly locks: EtcdLocks;
  readonly kv: EtcdKv;
  readonly counters: EtcdCounters;
  readonly semaphores: EtcdSemaphores;
  /** Read/write locks: the permit pools with a write weighing the whole pool (ADR 0026). */
  readonly rwlocks: PoolRwLocks;
  readonly multiLock: EtcdMultiLocks;
  readonly watch: EtcdWatch;
  private readonly ctx: EtcdContext;

  constructor(conn: EtcdConnection) {
    this.ctx = new EtcdContext(conn);
    this.leases = new EtcdLeases(this.ctx);
    this.locks = new EtcdLocks(this.ctx);
    this.multiLock = this.locks.multi;
    this.kv = new EtcdKv(this.ctx);
    this.counters = new EtcdCounters(this.ctx);
    this.semaphores = new EtcdSemaphores(this.ctx);
    this.rwlocks = new PoolRwLocks(this.semaphores);
    this.watch = new EtcdWatch(this.ctx);
  }

  /** Counted from the app's and the scope's index folders, so every server on the cluster agrees. */
  usage(query: UsageQuery): Promise<Usage> {
    return this.ctx.open(() => usage(this.ctx, query));
  }

  /** Three count-only ranges in one transaction. */
  stats(): Promise<StoreStats> {
    return this.ctx.open(() => stats(this.ctx));
  }

  async ping(): Promise<boolean> {
    if (this.ctx.closed) return false;
    await this.ctx.conn.reachable();
    return true;
  }

  /** Waiters leave their queues first, then the watch stream and the connection close. */
  async close(): Promise<void> {
    if (!this.ctx.markClosed()) return;
    await Promise.all([this.locks.close(), this.semaphores.close()]);
    this.ctx.mux.close();
    this.ctx.conn.close();
  }
}
