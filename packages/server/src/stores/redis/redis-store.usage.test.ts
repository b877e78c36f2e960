import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store, UsageQuery, WatchEvent } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

const TTL_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithBackend('redis-server', 'lock.redis usage counts, across servers sharing one Redis', (binary) => {
  let server: RedisServer;
  let store: Store;
  let other: Store;
  let raw: Redis;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    const metadata = new Map([['redishost', server.address]]);
    [store, other] = [
      await createRedisStore('lockstore', metadata),
      await createRedisStore('lockstore', metadata),
    ];
    raw = new Redis({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    raw?.disconnect();
    await store?.close();
    await other?.close();
    await server?.destroy();
  });

  /** [leases, locks, keys, keyBytes] of an app in its own scope, read through the other server. */
  async function held(app: string): Promise<number[]> {
    const usage = await other.usage!({ app, scope: `${app}||` } satisfies UsageQuery);
    return [usage.leases, usage.locks, usage.keys, usage.keyBytes];
  }

  it('a lease that expires stops counting with its lock and keys, on every server', async () => {
    const lease = await store.leases.grant({ app: 'exp', ttlMs: TTL_MS });
    await store.locks.acquire({ app: 'exp', key: 'lock||exp||l', leaseId: lease.id });
    await store.kv!.put({ app: 'exp', key: 'kv||exp||k', value: 'four', leaseId: lease.id });
    expect(await held('exp')).toEqual([1, 1, 1, 4]);
    await sleep(TTL_MS + 150);
    expect(await held('exp')).toEqual([0, 0, 0, 0]);
  });

  it('a lapsed maxHoldMs stops counting the lock at its deadline; the lease still counts', async () => {
    const lease = await store.leases.grant({ app: 'hold', ttlMs: 30_000 });
    await store.locks.acquire({ app: 'hold', key: 'lock||hold||l', leaseId: lease.id, maxHoldMs: 200 });
    expect(await held('hold')).toEqual([1, 1, 0, 0]);
    await sleep(250);
    expect(await held('hold')).toEqual([1, 0, 0, 0]);
    await store.leases.keepAlive(lease.id, 'hold');
    expect(await held('hold')).toEqual([1, 0, 0, 0]);
  });

  it("a hand-off moves the lock from the holder's app to the waiter's", async () => {
    const key = 'lock||shared';
    const holder = await store.leases.grant({ app: 'first', ttlMs: 30_000 });
    const waiter = await other.leases.grant({ app: 'second', ttlMs: 30_000 });
    await store.locks.acquire({ app: 'first', key, leaseId: holder.id });
    const waiting = other.locks.acquire({ app: 'second', key, leaseId: waiter.id, waitMs: 5_000 });
    await sleep(30);
    expect(await store.locks.release(key, holder.id, 'first')).toBe('released');
    expect((await waiting).acquired).toBe(true);
    expect((await held('first'))[1]).toBe(0);
    expect((await held('second'))[1]).toBe(1);
  });

  it("a Dapr lock stops counting when Redis expires Dapr's key; an unlock uncounts it at once", async () => {
    expect((await store.dapr!.tryLock('lock||dapr||a', 'o', TTL_MS, 'dapr')).acquired).toBe(true);
    expect((await store.dapr!.tryLock('lock||dapr||b', 'o', 30_000, 'dapr')).acquired).toBe(true);
    expect(await held('dapr')).toEqual([2, 2, 0, 0]);
    await sleep(TTL_MS + 50);
    expect(await held('dapr')).toEqual([1, 1, 0, 0]);
    expect(await store.dapr!.unlock('lock||dapr||b', 'o', 'dapr')).toBe(0);
    expect(await held('dapr')).toEqual([0, 0, 0, 0]);
  });

  it('keys and bytes follow overwrites, re-binding and deletes; counters count once', async () => {
    const [a, b] = [
      await store.leases.grant({ app: 'kv', ttlMs: TTL_MS }),
      await store.leases.grant({ app: 'kv', ttlMs: 30_000 }),
    ];
    await store.kv!.put({ app: 'kv', key: 'kv||kv||x', value: 'abc', leaseId: a.id });
    await store.kv!.put({ app: 'kv', key: 'kv||kv||x', value: 'héllo', leaseId: b.id });
    await store.kv!.put({ app: 'kv', key: 'kv||kv||y', value: '12' });
    expect((await held('kv')).slice(2)).toEqual([2, 8]);
    await sleep(TTL_MS + 150); // lease a ends; the key it no longer holds stays counted
    expect((await held('kv')).slice(2)).toEqual([2, 8]);
    expect(await store.kv!.delete('kv||kv||x')).toBe(true);
    await store.leases.revoke(b.id, 'kv');
    expect((await held('kv')).slice(2)).toEqual([1, 2]);
    await store.counters!.add('counter||kv||c', 1);
    await store.counters!.set('counter||kv||c', 5);
    await store.counters!.set('counter||kv||d', 5);
    expect((await other.usage!({ app: 'kv', scope: 'kv||' })).counters).toBe(2);
  });

  it('lease.expired carries the app of the lease, so that app may be shown it', async () => {
    const events: WatchEvent[] = [];
    const lease = await store.leases.grant({ app: 'watched', ttlMs: TTL_MS });
    const stop = other.watch.subscribe({ prefix: lease.id, onEvent: (e) => events.push(e) });
    try {
      await sleep(TTL_MS + 150);
      expect(events).toMatchObject([{ type: 'lease.expired', leaseId: lease.id, app: 'watched' }]);
    } finally {
      stop();
    }
  });

  it('a lease written before leases had apps serves admins only, counts for no app, and expires', async () => {
    // What the previous version wrote for a grant: the hash without `app`, and its deadline.
    const id = 'legacy-lease';
    const prefix = 'leasehold:{lockstore}:';
    await raw.hset(`${prefix}lease:${id}`, 'ttl', TTL_MS, 'owner', 'old');
    await raw.pexpire(`${prefix}lease:${id}`, TTL_MS);
    const [seconds, micros] = await raw.time();
    await raw.zadd(
      `${prefix}deadlines`,
      Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + TTL_MS,
      id,
    );
    expect(await store.leases.get(id, 'any')).toBeUndefined();
    expect(await store.leases.get(id, undefined)).toMatchObject({ id, owner: 'old' });
    expect((await store.leases.get(id, undefined))?.app).toBeUndefined();
    expect(await store.leases.keepAlive(id, 'any')).toBeUndefined();
    expect(await store.leases.keepAlive(id, undefined)).toMatchObject({ id, ttlMs: TTL_MS });
    expect((await store.locks.acquire({ app: undefined, key: 'lock||old||l', leaseId: id })).acquired).toBe(
      true,
    );
    const lock = await store.locks.describe('lock||old||l');
    expect([lock.leaseId, lock.app]).toEqual([id, undefined]);
    expect(await store.locks.release('lock||old||l', id, 'old')).toBe('held_by_other');
    const events: WatchEvent[] = [];
    const stop = other.watch.subscribe({ prefix: id, onEvent: (e) => events.push(e) });
    try {
      await sleep(TTL_MS + 150);
      expect(events).toMatchObject([{ type: 'lease.expired', leaseId: id }]);
      expect(events[0]?.app).toBeUndefined();
    } finally {
      stop();
    }
    expect((await store.locks.describe('lock||old||l')).held).toBe(false);
    expect(await held('old')).toEqual([0, 0, 0, 0]);
  });
});
