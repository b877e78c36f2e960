import type { EtcdConnection } from './etcd-connection.js';
import type { EtcdKeys } from './etcd-keys.js';
import type { LeaseDirectory } from './lease-directory.js';

/** The connection, key layout and lease cache every store operation needs. */
export interface EtcdContext {
  readonly conn: EtcdConnection;
  readonly keys: EtcdKeys;
  readonly leases: LeaseDirectory;
}
