import { afterAll, beforeAll } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { conformanceTests } from '../../../test/support/conformance-tests.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

describeWithBackend('redis-server', 'lock.redis conformance (a master found through Sentinel)', (binary) => {
  let master: RedisServer;
  let sentinel: RedisServer;
  let store: Store;
  beforeAll(async () => {
    master = await RedisServer.start(binary);
    sentinel = await RedisServer.startSentinel(binary, master, 'leasehold-master');
    const metadata = new Map([
      ['redistype', 'sentinel'],
      ['redishost', sentinel.address],
      ['sentinelmastername', 'leasehold-master'],
    ]);
    store = await createRedisStore('lockstore', metadata);
  });
  afterAll(async () => {
    await store?.close();
    await sentinel?.destroy();
    await master?.destroy();
  });
  conformanceTests('lock.redis (Sentinel)', () => store, { ttlMs: 300, expirySlackMs: 200 }, { lacks: [] });
});
