import { LeaseholdError } from '@leasehold/core';
import type { EtcdConnection } from './etcd-connection.js';
import { EtcdKeys } from './etcd-keys.js';
import { IdempotencyLease } from './idempotency-lease.js';
import { LeaseDirectory } from './lease-directory.js';
import { WatchMux } from './watch-mux.js';

/**
 * What every capability of one `lock.etcd` store shares: the connection, the key layout, the lease
 * cache, the one watch stream, and whether the store is closed.
 */
export class EtcdContext {
  readonly keys: EtcdKeys;
  readonly leases: LeaseDirectory;
  readonly mux: WatchMux;
  /** The lease idempotency records go on. */
  readonly idempotency: IdempotencyLease;
  private isClosed = false;

  constructor(readonly conn: EtcdConnection) {
    this.keys = new EtcdKeys(conn.config.namespace);
    this.leases = new LeaseDirectory(conn, this.keys);
    this.mux = new WatchMux(conn.client);
    this.idempotency = new IdempotencyLease(conn);
  }

  /** True once the store began to close. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Refuses every later operation; false when the store was already closed. */
  markClosed(): boolean {
    if (this.isClosed) return false;
    this.isClosed = true;
    return true;
  }

  /** Runs `operation` unless the store is closed (UNAVAILABLE then, before any etcd call). */
  async open<T>(operation: () => Promise<T>): Promise<T> {
    if (this.isClosed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
    return operation();
  }
}
