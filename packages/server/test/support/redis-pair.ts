import { afterAll, beforeAll } from 'vitest';
import type { Store } from '@leasehold/core';
import { createRedisStore } from '../../src/stores/redis/index.js';
import { RedisServer } from './redis-harness.js';

/** Two `lock.redis` stores (two servers) sharing one fresh Redis, and that Redis. */
export interface RedisPair {
  readonly server: RedisServer;
  readonly a: Store;
  readonly b: Store;
}

/**
 * Starts a Redis from `binary` and two stores on it before the enclosing suite's tests, and closes
 * them after; the getter reads them once started.
 */
export function redisPair(binary: string): () => RedisPair {
  let pair: RedisPair | undefined;
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    const metadata = new Map([['redishost', server.address]]);
    const [a, b] = [
      await createRedisStore('lockstore', metadata),
      await createRedisStore('lockstore', metadata),
    ];
    pair = { server, a, b };
  });
  afterAll(async () => {
    await Promise.all([pair?.a.close(), pair?.b.close()]);
    await server?.destroy();
  });
  return () => {
    if (!pair) throw new Error('the Redis pair is not started yet');
    return pair;
  };
}
