import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { daprOf } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

describeWithBackend('redis-server', 'lock.redis keeps the Dapr sidecar key and value', (binary) => {
  let server: RedisServer;
  let store: Store;
  let raw: Redis;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    store = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
    raw = new Redis({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    raw?.disconnect();
    await store?.close();
    await server?.destroy();
  });

  it('daprTryLock writes lock||<app>||<res> holding the owner string with a TTL', async () => {
    const key = 'lock||myapp||order-1';
    // What the service calls: the store's own Dapr API, not core's mapping over leases and locks.
    expect((await daprOf(store).tryLock(key, 'owner-7', 60_000, 'test')).acquired).toBe(true);
    expect(await raw.get(key)).toBe('owner-7');
    const pttl = await raw.pttl(key);
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await store.dapr!.unlock(key, 'owner-7', 'test')).toBe(0);
    expect(await raw.exists(key)).toBe(0);
  });

  it('a key SET by hand, as a Dapr sidecar would, makes daprTryLock and acquire answer false', async () => {
    const key = 'lock||myapp||r1';
    await raw.set(key, 'someone', 'PX', 60_000);
    expect((await store.dapr!.tryLock(key, 'me', 60_000, 'test')).acquired).toBe(false);
    const lease = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
    expect((await store.locks.acquire({ app: 'test', key, leaseId: lease.id })).acquired).toBe(false);
    expect(await store.dapr!.unlock(key, 'me', 'test')).toBe(2);
    const info = await store.locks.describe(key);
    expect(info).toMatchObject({ held: true, owner: 'someone' });
    // The sidecar's owner unlocks it through Leasehold exactly as through Dapr.
    expect(await store.dapr!.unlock(key, 'someone', 'test')).toBe(0);
    expect((await store.locks.acquire({ app: 'test', key, leaseId: lease.id })).acquired).toBe(true);
  });

  it('a sidecar unlocking by value sees a Leasehold Dapr lock as its own', async () => {
    const key = 'lock||myapp||shared';
    expect((await store.dapr!.tryLock(key, 'worker-a', 60_000, 'test')).acquired).toBe(true);
    // What a Dapr sidecar's unlock does: compare the value with the owner, then delete.
    expect(await raw.get(key)).toBe('worker-a');
    await raw.del(key);
    expect((await store.locks.describe(key)).held).toBe(false);
    expect((await store.dapr!.tryLock(key, 'worker-b', 60_000, 'test')).acquired).toBe(true);
  });
});
