import type { Store } from '@leasehold/core';
import { EtcdConnection } from './etcd-connection.js';
import { parseEtcdMetadata } from './etcd-metadata.js';
import { EtcdStore } from './etcd-store.js';

/** The validated `lock.etcd` configuration, and its parser (for start-up checks). */
export type { EtcdConfig } from './etcd-metadata.js';
export { parseEtcdMetadata } from './etcd-metadata.js';

/**
 * Creates the `lock.etcd` store of component `name`. Metadata is validated first (bad fields throw
 * INVALID_ARGUMENT); the cluster is not contacted here, so a store can start while etcd is down.
 */
export function createEtcdStore(name: string, metadata: ReadonlyMap<string, string>): Promise<Store> {
  // Built inside the executor so a metadata error becomes a rejection, never a synchronous throw.
  return new Promise((resolve) => {
    resolve(new EtcdStore(new EtcdConnection(parseEtcdMetadata(name, metadata))));
  });
}
