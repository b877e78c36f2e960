import { afterAll, beforeAll, expect, it } from 'vitest';
import { LeaseholdError } from '@leasehold/core';
import type { Store, WatchEvent } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

const TTL_MS = 300;

describeWithBackend('redis-server', 'lock.redis when a lease expires', (binary) => {
  let server: RedisServer;
  let store: Store;
  let observer: Store;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    const metadata = new Map([['redishost', server.address]]);
    [store, observer] = [
      await createRedisStore('lockstore', metadata),
      await createRedisStore('lockstore', metadata),
    ];
  });
  afterAll(async () => {
    await store?.close();
    await observer?.close();
    await server?.destroy();
  });

  it('announces lease.expired, the key deletion and the lock release, in revision order, to every server', async () => {
    const events: WatchEvent[] = [];
    const stop = observer.watch.subscribe({ prefix: 'exp/', onEvent: (e) => events.push(e) });
    try {
      await new Promise((r) => setTimeout(r, 50));
      const lease = await store.leases.grant({ app: 'test', ttlMs: TTL_MS });
      const granted = await store.locks.acquire({ app: 'test', key: 'exp/lock', leaseId: lease.id });
      await store.kv!.put({ app: 'test', key: 'exp/key', value: 'v', leaseId: lease.id });
      const leaseEvents: WatchEvent[] = [];
      const stopLease = observer.watch.subscribe({ prefix: lease.id, onEvent: (e) => leaseEvents.push(e) });
      const started = Date.now();
      while (events.length < 4 && Date.now() - started < TTL_MS + 500)
        await new Promise((r) => setTimeout(r, 10));
      stopLease();
      expect(Date.now() - started).toBeLessThan(TTL_MS + 200);
      expect(events.map((e) => [e.type, e.key])).toEqual([
        ['lock.acquired', 'exp/lock'],
        ['put', 'exp/key'],
        ['delete', 'exp/key'],
        ['lock.released', 'exp/lock'],
      ]);
      expect(events[3]).toMatchObject({
        leaseId: lease.id,
        fencingToken: granted.acquired && granted.fencingToken,
      });
      expect(leaseEvents).toMatchObject([{ type: 'lease.expired', leaseId: lease.id }]);
      expect(leaseEvents[0]!.revision).toBeLessThan(events[2]!.revision);
      for (let i = 1; i < events.length; i++)
        expect(events[i]!.revision).toBeGreaterThan(events[i - 1]!.revision);
    } finally {
      stop();
    }
  });

  it('ends the wait of a waiter whose lease expired with LEASE_NOT_FOUND, at the expiry', async () => {
    const holder = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
    expect((await store.locks.acquire({ app: 'test', key: 'exp/held', leaseId: holder.id })).acquired).toBe(
      true,
    );
    const doomed = await store.leases.grant({ app: 'test', ttlMs: TTL_MS });
    const started = Date.now();
    const outcome = await store.locks
      .acquire({ app: 'test', key: 'exp/held', leaseId: doomed.id, waitMs: 5_000 })
      .then(
        () => 'resolved',
        (error: unknown) => (error instanceof LeaseholdError ? error.code : String(error)),
      );
    expect(outcome).toBe('LEASE_NOT_FOUND');
    expect(Date.now() - started).toBeLessThan(TTL_MS + 200);
    expect((await store.locks.describe('exp/held')).waiters).toBe(0);
  });
});
