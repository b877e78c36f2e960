import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { grantedToken } from '../../../test/support/redlock-harness.js';
import { createRedisStore } from './index.js';
import type { RedisStore } from './redis-store.js';

const P = 'leasehold:{lockstore}:';

describeWithBackend('redis-server', 'lock.redis data layout (ADR 0019)', (binary) => {
  let server: RedisServer;
  let raw: Redis;
  const open = async () =>
    (await createRedisStore('lockstore', new Map([['redishost', server.address]]))) as RedisStore;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    raw = new Redis({ host: '127.0.0.1', port: server.port });
  });
  beforeEach(async () => {
    await raw.flushall();
  });
  afterAll(async () => {
    raw?.disconnect();
    await server?.destroy();
  });

  it('marks a store without old data as layout 2 and keeps a lock meta in one string with its TTL', async () => {
    const store = await open();
    try {
      expect(await raw.get(`${P}layout`)).toBe('2');
      const lease = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
      const fencingToken = grantedToken(
        await store.locks.acquire({ app: 'test', key: 'l/1', leaseId: lease.id }),
      );
      expect(await raw.get(`${P}m:l/1`)).toBe(
        `n|${fencingToken}|${(await store.locks.describe('l/1')).acquiredAt}|0||${lease.id}|4|test`,
      );
      expect(await raw.pttl(`${P}m:l/1`)).toBeGreaterThan(30_000);
      // The lease's lock set was made by its grant, so the acquire did not need to give it a TTL.
      expect(await raw.smembers(`${P}ll:${lease.id}`)).toEqual(expect.arrayContaining(['', 'l/1']));
      expect(await raw.pttl(`${P}ll:${lease.id}`)).toBeGreaterThan(30_000);
    } finally {
      await store.close();
    }
  });

  it('counts for metrics the leases and locks of every app and of leases without one, until they end', async () => {
    const store = await open();
    try {
      const a = await store.leases.grant({ app: 'a', ttlMs: 30_000 });
      const b = await store.leases.grant({ app: 'b', ttlMs: 30_000 });
      // A lease without an app (as from before leases had apps): counted in anon-*.
      const admin = await store.leases.grant({ app: '', ttlMs: 300 });
      await store.locks.acquire({ app: 'a', key: 's/1', leaseId: a.id });
      await store.locks.acquire({ app: 'b', key: 's/2', leaseId: b.id });
      await store.locks.acquire({ app: undefined, key: 's/3', leaseId: admin.id });
      expect(await store.stats()).toEqual({ leases: 3, locks: 3, waiters: 0, permits: 0 });
      expect(await store.locks.release('s/2', b.id, 'b')).toBe('released');
      expect(await store.stats()).toEqual({ leases: 3, locks: 2, waiters: 0, permits: 0 });
      // The app-less lease and its lock lapse by TTL; their set expires with them and leaves the list.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await store.stats()).toEqual({ leases: 2, locks: 1, waiters: 0, permits: 0 });
      expect(await raw.smembers(`${P}usage-sets:locks`)).toEqual([`${P}app-locks:a`]);
      await store.locks.acquire({ app: 'b', key: 's/2', leaseId: b.id });
      expect(await store.stats()).toEqual({ leases: 2, locks: 2, waiters: 0, permits: 0 });
    } finally {
      await store.close();
    }
  });

  it('refuses to open a store holding layout-1 lock metas, naming the layout key', async () => {
    await raw.set('lock-key', 'leasehold:lease:0123');
    await raw.hset(`${P}meta:lock-key`, 'kind', 'n', 'lease', '0123', 'token', 7, 'app', 'test');
    await raw.incr(`${P}rev`);
    await expect(open()).rejects.toThrow(`no ${P}layout key, ${P}meta:* hashes`);
    expect(await raw.get(`${P}layout`)).toBeNull();
  });

  it('refuses a store marked with another layout', async () => {
    await raw.set(`${P}layout`, '3');
    await expect(open()).rejects.toThrow(`layout 3 data (${P}layout = 3)`);
  });

  it('opens a store whose layout-1 data the operator has cleared, and carries on', async () => {
    await raw.incr(`${P}rev`);
    const store = await open();
    try {
      const lease = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
      const fencingToken = grantedToken(
        await store.locks.acquire({ app: 'test', key: 'l/2', leaseId: lease.id }),
      );
      expect(fencingToken).toBe(2);
      expect(await store.locks.check('l/2', 2)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
