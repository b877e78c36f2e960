import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LeaseholdError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

/** How many times Redis ran each command since the last CONFIG RESETSTAT. */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = String(await redis.call('INFO', 'commandstats'));
  const calls: Record<string, number> = {};
  for (const [, name, count] of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) calls[name!] = Number(count);
  return calls;
}

async function storeAs(server: RedisServer, user: string): Promise<Store> {
  const metadata = [
    ['redishost', server.address],
    ['redisusername', user],
    ['redispassword', 'pw'],
  ] as const;
  return createRedisStore('lockstore', new Map(metadata));
}

// The scripts run as Redis functions where Redis allows them, and as scripts where it does not.
describeWithBackend('redis-server', 'lock.redis scripts as Redis functions', (binary) => {
  let server: RedisServer;
  let direct: Redis;
  const stores: Store[] = [];
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    direct = new Redis({ host: '127.0.0.1', port: server.port });
    await direct.call('ACL', 'SETUSER', 'nofn', 'on', '>pw', '~*', '&*', '+@all', '-fcall', '-function');
    // May publish on the waiter channels but not append to the store's event stream (layout 2: the
    // events go into the stream only, no longer on a channel).
    await direct.call(
      'ACL',
      'SETUSER',
      'noevents',
      'on',
      '>pw',
      '~*',
      '+@all',
      '-xadd',
      '&leasehold:{lockstore}:srv:*',
    );
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    direct?.disconnect();
    await server?.destroy();
  });

  it('calls functions, and loads them again once Redis lost them, each op with its own result', async () => {
    const store = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
    stores.push(store);
    const lease = await store.leases.grant({ app: 'a', ttlMs: 30_000 });
    await store.locks.acquire({ app: 'a', key: 'f/0', leaseId: lease.id });
    await direct.call('CONFIG', 'RESETSTAT');
    await direct.call('FUNCTION', 'FLUSH');
    const keys = Array.from({ length: 20 }, (_, i) => `f/${i + 1}`);
    const results = await Promise.all(
      keys.map((key) => store.locks.acquire({ app: 'a', key, leaseId: lease.id })),
    );
    expect(await store.locks.release('f/0', lease.id, 'a')).toBe('released');
    const tokens = results.map((r) => (r.acquired ? r.fencingToken : -1));
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(keys.length);
    const calls = await commandCalls(direct);
    expect(calls.fcall).toBeGreaterThan(keys.length);
    expect(calls.evalsha ?? 0).toBe(0);
    // Once per library used since (acquire's, release's, maybe the lease reaper's), not per call.
    expect(calls['function|load']).toBeLessThanOrEqual(3);
  });

  it('runs them as scripts for a user the ACL denies functions', async () => {
    const store = await storeAs(server, 'nofn');
    stores.push(store);
    await direct.call('CONFIG', 'RESETSTAT');
    const lease = await store.leases.grant({ app: 'a', ttlMs: 30_000 });
    const [first, second] = await Promise.all([
      store.locks.acquire({ app: 'a', key: 'n/1', leaseId: lease.id }),
      store.locks.acquire({ app: 'a', key: 'n/1', leaseId: lease.id }),
    ]);
    expect(first).toMatchObject({ acquired: true });
    expect(second).toEqual(first);
    expect(await store.locks.describe('n/1')).toMatchObject({ held: true, leaseId: lease.id });
    expect(await store.locks.release('n/1', lease.id, 'a')).toBe('released');
    const calls = await commandCalls(direct);
    expect(calls.evalsha).toBeGreaterThan(0);
    expect(calls.fcall ?? 0).toBe(0);
  });

  it('fails an op whose function failed inside, without running it again as a script', async () => {
    const store = await storeAs(server, 'noevents');
    stores.push(store);
    const lease = await store.leases.grant({ app: 'a', ttlMs: 30_000 });
    await direct.call('CONFIG', 'RESETSTAT');
    // The grant's event is refused by the ACL halfway through the function.
    const failed = await store.locks
      .acquire({ app: 'a', key: 'e/1', leaseId: lease.id })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(LeaseholdError);
    expect(failed).toMatchObject({ code: 'STORE_ERROR' });
    const calls = await commandCalls(direct);
    expect(calls.fcall).toBeGreaterThan(0);
    expect(calls.evalsha ?? 0).toBe(0);
    expect(calls.eval ?? 0).toBe(0);
  });
});
