import type { Store } from '@leasehold/core';
import { afterAll, beforeAll } from 'vitest';
import { createEtcdStore } from '../../src/stores/etcd/index.js';
import { EtcdCluster } from './etcd-harness.js';

/** Two `lock.etcd` stores, as two Leasehold servers, on one 3-member cluster. */
export interface EtcdPair {
  readonly a: Store;
  readonly b: Store;
}

/**
 * Starts the cluster and both stores before the suite's tests and stops them after; call it in the
 * body of a `describeWithBackend('etcd', …)`. The stores are read through the returned object.
 */
export function etcdPair(binary: string): EtcdPair {
  let cluster: EtcdCluster | undefined;
  const pair: { a?: Store; b?: Store } = {};
  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary);
    const metadata = new Map([['endpoints', cluster.endpoints]]);
    pair.a = await createEtcdStore('lockstore', metadata);
    pair.b = await createEtcdStore('lockstore', metadata);
  });
  afterAll(async () => {
    await Promise.all([pair.a?.close(), pair.b?.close()]);
    await cluster?.stop();
  });
  return {
    get a() {
      return pair.a!;
    },
    get b() {
      return pair.b!;
    },
  };
}

/** Polls `check` every 10 ms; fails when it is still false after `ms`. */
export async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
