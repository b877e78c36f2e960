import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

// The scripts of one turn travel as one pipeline: order, NOSCRIPT fallback and errors stay per op.
describeWithBackend('redis-server', 'lock.redis ops issued in one turn', (binary) => {
  let server: RedisServer;
  let store: Store;
  let direct: Redis;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    store = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
    direct = new Redis({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    direct?.disconnect();
    await store?.close();
    await server?.destroy();
  });

  it('grants in call order after the scripts were flushed, each op with its own result', async () => {
    const lease = await store.leases.grant({ app: 'a', ttlMs: 30_000 });
    await store.locks.acquire({ app: 'a', key: 'p/0', leaseId: lease.id });
    await direct.script('FLUSH');
    const keys = Array.from({ length: 20 }, (_, i) => `p/${i + 1}`);
    const [gone, ...results] = await Promise.all([
      store.locks.acquire({ app: 'a', key: 'p/x', leaseId: 'no-such-lease' }).catch((e: unknown) => e),
      ...keys.map((key) => store.locks.acquire({ app: 'a', key, leaseId: lease.id })),
      store.locks.release('p/0', lease.id, 'a'),
    ]);
    expect(gone).toMatchObject({ code: 'LEASE_NOT_FOUND' });
    const released = results.pop();
    expect(released).toBe('released');
    const tokens = results.map((r) => (r as { acquired: boolean; fencingToken: number }).fencingToken);
    expect(results.every((r) => (r as { acquired: boolean }).acquired)).toBe(true);
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(keys.length);
  });
});
