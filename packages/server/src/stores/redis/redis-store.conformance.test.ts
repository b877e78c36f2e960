import { afterAll, beforeAll } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { conformanceTests } from '../../../test/support/conformance-tests.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

describeWithBackend('redis-server', 'lock.redis conformance (single Redis)', (binary) => {
  let server: RedisServer;
  let store: Store;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    store = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
  });
  afterAll(async () => {
    await store?.close();
    await server?.destroy();
  });
  // Expiry is Redis's own key TTL, exact to the millisecond; the slack covers polling and scheduling.
  conformanceTests('lock.redis', () => store, { ttlMs: 300, expirySlackMs: 200 }, { lacks: [] });
});
