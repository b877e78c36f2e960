import { afterAll, beforeAll } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { conformanceTests } from '../../../test/support/conformance-tests.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from '../redis/index.js';

describeWithBackend('redis-server', 'lock.redis conformance (Redlock over 3 masters)', (binary) => {
  let servers: RedisServer[] = [];
  let store: Store;
  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => RedisServer.start(binary)));
    const hosts = servers.map((s) => s.address).join(',');
    store = await createRedisStore('lockstore', new Map([['redishosts', hosts]]));
  });
  afterAll(async () => {
    await store?.close();
    await Promise.all(servers.map((s) => s.destroy()));
  });
  // Keys expire on each master's own clock, exact to the millisecond; the slack covers polling.
  conformanceTests('lock.redis (Redlock)', () => store, { ttlMs: 300, expirySlackMs: 200 });
});
