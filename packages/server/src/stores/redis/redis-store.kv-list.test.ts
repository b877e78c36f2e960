import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';
import { mergeKeyPages } from '../redlock/redlock-merge.js';

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

describeWithBackend('redis-server', 'lock.redis key listing (Redlock over 3 masters)', (binary) => {
  let servers: RedisServer[] = [];
  let raws: Redis[] = [];
  let store: Store;
  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => RedisServer.start(binary)));
    raws = servers.map((s) => new Redis({ host: '127.0.0.1', port: s.port }));
    const hosts = servers.map((s) => s.address).join(',');
    store = await createRedisStore('lockstore', new Map([['redishosts', hosts]]));
  });
  afterAll(async () => {
    for (const r of raws) r.disconnect();
    await store?.close();
    await Promise.all(servers.map((s) => s.destroy()));
  });

  it('lists only keys a majority holds, and pages past keys only a minority holds', async () => {
    for (const key of ['m/a', 'm/z']) await store.kv!.put({ app: 'x', key, value: 'v' });
    // A put that reached one master only (it failed as a whole): twelve keys between a and z.
    for (let i = 0; i < 12; i++) {
      const key = `m/k${String(i).padStart(2, '0')}`;
      await raws[0]!.hset(`${PREFIX}kv:${key}`, 'value', 'v', 'version', 1, 'rev', 1, 'lease', '', 'app', '');
      await raws[0]!.zadd(`${PREFIX}kvs`, 0, key);
    }
    expect(await names(store, 'm/', undefined, 2)).toEqual(['m/a', 'm/z']);
    expect(await names(store, 'm/', 'm/a', 5)).toEqual(['m/z']);
  });
});

describe('mergeKeyPages', () => {
  const row = (key: string, revision = 1) => ({ key, value: key, version: 1, revision });

  it('keeps majority keys up to the lowest full page, each at its newest revision', () => {
    const merged = mergeKeyPages(
      [[row('a'), row('b', 5), row('c')], [row('b', 7), row('c'), row('d')], undefined],
      3,
      2,
    );
    expect(merged.bound).toBe('c');
    expect(merged.entries.map((e) => [e.key, e.revision])).toEqual([
      ['b', 7],
      ['c', 1],
    ]);
  });

  it('has no bound when every page was short', () => {
    expect(mergeKeyPages([[row('a')], [row('a')], []], 3, 2)).toEqual({
      entries: [row('a')],
      bound: undefined,
    });
  });
});
