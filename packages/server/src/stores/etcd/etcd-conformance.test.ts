import type { Store } from '@leasehold/core';
import { afterAll, beforeAll } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { conformanceTests } from '../../../test/support/conformance-tests.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { createEtcdStore } from './index.js';

// etcd TTLs are whole seconds: a 2 s lease lives 2–3 s (etcd counts from its own tick), and the
// leader checks expiry every 500 ms, so expiry may be seen up to ~1.5 s late.
const TTL_MS = 2_000;
const EXPIRY_SLACK_MS = 1_500;

describeWithBackend('etcd', 'lock.etcd conformance on a 3-member cluster', (binary) => {
  let cluster: EtcdCluster;
  let store: Store;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary);
    store = await createEtcdStore('lockstore', new Map([['endpoints', cluster.endpoints]]));
  });

  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  conformanceTests('lock.etcd', () => store, { ttlMs: TTL_MS, expirySlackMs: EXPIRY_SLACK_MS });
});
