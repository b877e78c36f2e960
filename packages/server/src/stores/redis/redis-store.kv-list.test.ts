import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

const PREFIX = 'leasehold:{lockstore}:';
const names = async (store: Store, prefix: string, after?: string, limit = 100) =>
  (await store.kv!.list!(prefix, after, limit)).map((e) => e.key);

describeWithBackend('redis-server', 'lock.redis key listing (single Redis)', (binary) => {
  let server: RedisServer;
  let raw: Redis;
  const stores: Store[] = [];
  const open = async () => {
    const store = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    raw = new Redis({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    raw?.disconnect();
    await Promise.all(stores.map((s) => s.close()));
    await server?.destroy();
  });

  it('indexes rows written before the index existed, once, at the first start', async () => {
    // What the previous version wrote for a put: the row alone, no `kvs` entry.
    for (const key of ['old/b', 'old/a'])
      await raw.hset(`${PREFIX}kv:${key}`, 'value', key, 'version', 1, 'rev', 1, 'lease', '', 'app', '');
    const store = await open();
    expect(await names(store, 'old/')).toEqual(['old/a', 'old/b']);
    expect(await raw.get(`${PREFIX}kvs:built`)).toBe('1');
    // Later starts trust the index: a row planted by hand now stays unlisted.
    await raw.hset(`${PREFIX}kv:old/c`, 'value', 'c', 'version', 1, 'rev', 1);
    expect(await names(await open(), 'old/')).toEqual(['old/a', 'old/b']);
  });

  it('drops a row Redis expired with its lease from the index at the next listing, on every server', async () => {
    const [a, b] = [await open(), await open()];
    const lease = await a.leases.grant({ app: 'x', ttlMs: 10_000 });
    await a.kv!.put({ app: 'x', key: 'ttl/bound', value: 'v', leaseId: lease.id });
    await a.kv!.put({ app: 'x', key: 'ttl/free', value: 'v' });
    expect(await names(b, 'ttl/')).toEqual(['ttl/bound', 'ttl/free']);
    await raw.del(`${PREFIX}kv:ttl/bound`); // as Redis's own TTL would, before any reaper runs
    expect(await names(b, 'ttl/')).toEqual(['ttl/free']);
    expect(await raw.zscore(`${PREFIX}kvs`, 'ttl/bound')).toBeNull();
  });
});
