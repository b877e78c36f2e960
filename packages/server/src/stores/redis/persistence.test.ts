import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { redisStoreType } from './index.js';

/** Opens a lock.redis store the way the server does; with Redis up, its check is done when this resolves. */
async function open(address: string): Promise<{ store: Store; warnings: string[] }> {
  const warnings: string[] = [];
  const component = { name: 'lockstore', metadata: new Map([['redishost', address]]) };
  const store = await redisStoreType.create(component, { dataDir: '.', warn: (text) => warnings.push(text) });
  return { store, warnings };
}

describeWithBackend('redis-server', 'lock.redis persistence warning', (binary) => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    const [host, port] = server.address.split(':');
    admin = new Redis({ host, port: Number(port), lazyConnect: true });
    await admin.connect();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.destroy();
  });

  it('warns in one line naming the store and the settings when Redis can lose acknowledged writes', async () => {
    await admin.config('SET', 'appendonly', 'no');
    await admin.config('SET', 'appendfsync', 'everysec');
    const { store, warnings } = await open(server.address);
    try {
      expect(warnings).toEqual([
        'lock.redis store "lockstore": Redis runs with appendonly no, appendfsync everysec: a Redis restart can lose acknowledged grants and reissue fencing tokens; set appendonly yes and appendfsync always (docs/stores-redis.md)',
      ]);
    } finally {
      await store.close();
    }
  });

  it('says nothing when Redis runs with appendonly yes and appendfsync always', async () => {
    await admin.config('SET', 'appendonly', 'yes');
    await admin.config('SET', 'appendfsync', 'always');
    const { store, warnings } = await open(server.address);
    try {
      expect(warnings).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
