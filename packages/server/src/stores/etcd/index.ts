import type { Store } from '@leasehold/core';
import { EtcdConnection } from './etcd-connection.js';
import { parseEtcdMetadata } from './etcd-metadata.js';
import { EtcdStore } from './etcd-store.js';
import { defineStoreType } from '../store-type.js';

/** The validated `lock.etcd` configuration, and its parser (for start-up checks). */
export type { EtcdConfig } from './etcd-metadata.js';
export { parseEtcdMetadata } from './etcd-metadata.js';

/**
 * `lock.etcd`: metadata is validated first (bad fields throw INVALID_ARGUMENT); the cluster is not
 * contacted when the store opens, so a store can start while etcd is down.
 */
export const etcdStoreType = defineStoreType({
  type: 'lock.etcd',
  parse: ({ name, metadata }) => parseEtcdMetadata(name, metadata),
  open: (_name, config) => Promise.resolve<Store>(new EtcdStore(new EtcdConnection(config))),
});

/** Creates the `lock.etcd` store of component `name`; bad metadata rejects, never throws. */
export function createEtcdStore(name: string, metadata: ReadonlyMap<string, string>): Promise<Store> {
  // Built inside the executor so a metadata error becomes a rejection, never a synchronous throw.
  return new Promise((resolve) => {
    resolve(new EtcdStore(new EtcdConnection(parseEtcdMetadata(name, metadata))));
  });
}
