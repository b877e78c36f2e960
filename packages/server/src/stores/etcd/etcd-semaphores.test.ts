import { describeWithBackend } from '../../../test/support/backends.js';
import { etcdPair } from '../../../test/support/etcd-pair.js';
import { twoServerSemaphoreCases } from '../../../test/support/two-server-pools.js';

describeWithBackend('etcd', 'lock.etcd semaphores shared by two servers on one cluster', (binary) => {
  const stores = etcdPair(binary);
  twoServerSemaphoreCases(() => [stores.a, stores.b], { ttlMs: 2_000, withinMs: 6_000 });
});
