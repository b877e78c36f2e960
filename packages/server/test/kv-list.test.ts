import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { EtcdCluster } from './support/etcd-harness.js';
import { RedisServer } from './support/redis-harness.js';
import type { TenantServer } from './support/tenants.js';
import { openStream, startTenantServer } from './support/tenants.js';

const keysOf = (body: { entries: { key: string }[] }) => body.entries.map((e) => e.key);

/** Listing as two apps and an admin over HTTP and the stream, on one store type. */
function listingSuite(type: string, metadata: () => Record<string, string>) {
  let t: TenantServer;
  let ordersLease: string;

  beforeAll(async () => {
    t = await startTenantServer(type, metadata());
    for (const key of ['cfg/a', 'cfg/b', 'cfg/c']) {
      await t.http('orders', 'PUT', '/v1/lockstore/kv', { key, value: `orders:${key}` });
    }
    await t.http('billing', 'PUT', '/v1/lockstore/kv', { key: 'cfg/a', value: 'billing:cfg/a' });
    ordersLease = (await t.http('orders', 'POST', '/v1/shared/leases', { ttlMs: 60_000 })).body.id as string;
    await t.http('orders', 'PUT', '/v1/shared/kv', { key: 'bound', value: 'v', leaseId: ordersLease });
  });
  afterAll(() => t?.close());

  it('pages through the caller’s keys by name, with more and next', async () => {
    const first = await t.http('orders', 'GET', '/v1/lockstore/kv?prefix=cfg%2F&limit=2');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ more: true, next: 'cfg/b' });
    expect(first.body.entries).toMatchObject([
      { key: 'cfg/a', value: 'orders:cfg/a', version: 1 },
      { key: 'cfg/b', value: 'orders:cfg/b', version: 1 },
    ]);
    const rest = await t.http('orders', 'GET', '/v1/lockstore/kv?prefix=cfg%2F&limit=2&after=cfg%2Fb');
    expect(rest.body).toEqual({ entries: [expect.objectContaining({ key: 'cfg/c' })], more: false });
    // `key` alone still reads one entry.
    expect((await t.http('orders', 'GET', '/v1/lockstore/kv?key=cfg%2Fa')).body.value).toBe('orders:cfg/a');
  });

  it("never lists another app's keys, and an empty prefix means the caller's whole scope", async () => {
    const billing = await t.http('billing', 'GET', '/v1/lockstore/kv?prefix=');
    expect(billing.body.entries).toMatchObject([{ key: 'cfg/a', value: 'billing:cfg/a' }]);
    expect(billing.body.more).toBe(false);
    expect(keysOf((await t.http('orders', 'GET', '/v1/lockstore/kv?prefix=')).body)).toEqual([
      'cfg/a',
      'cfg/b',
      'cfg/c',
    ]);
    // An admin acting as billing sees billing's key space.
    const asBilling = await t.http('ops', 'GET', '/v1/lockstore/kv?prefix=', undefined, {
      'leasehold-app': 'billing',
    });
    expect(keysOf(asBilling.body)).toEqual(['cfg/a']);
  });

  it('names a bound lease only to its own app or an admin, on a shared key space', async () => {
    const entry = async (tenant: 'orders' | 'billing' | 'ops') =>
      (await t.http(tenant, 'GET', '/v1/shared/kv?prefix=bound')).body.entries[0];
    expect((await entry('orders')).leaseId).toBe(ordersLease);
    expect((await entry('ops')).leaseId).toBe(ordersLease);
    const seenByBilling = await entry('billing');
    expect(seenByBilling).toMatchObject({ key: 'bound', value: 'v' });
    expect(seenByBilling.leaseId).toBeUndefined();
    expect(seenByBilling.app).toBeUndefined();
  });

  it('answers the same over the client stream, 400s included', async () => {
    const stream = await openStream(t.server, 'billing');
    try {
      const page = await stream.call('listKeys', 'lockstore', { prefix: 'cfg/', limit: 10 });
      expect(keysOf(page.result)).toEqual(['cfg/a']);
      const bad = await stream.call('listKeys', 'lockstore', { prefix: 'cfg/', limit: '0' });
      expect(bad.error).toMatchObject({ errorCode: 'INVALID_ARGUMENT' });
      expect(bad.error.message).toContain('limit');
    } finally {
      stream.close();
    }
  });
}

describe('GET /v1/{store}/kv?prefix= on lock.memory', () => listingSuite('lock.memory', () => ({})));
describe('GET /v1/{store}/kv?prefix= on lock.sqlite', () => listingSuite('lock.sqlite', () => ({})));

describeWithBackend('redis-server', 'GET /v1/{store}/kv?prefix= on lock.redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start(binary);
  });
  afterAll(() => redis?.destroy());
  listingSuite('lock.redis', () => ({ redisHost: `127.0.0.1:${redis.port}` }));
});

describeWithBackend('etcd', 'GET /v1/{store}/kv?prefix= on lock.etcd', (binary) => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
  });
  afterAll(() => cluster?.stop());
  listingSuite('lock.etcd', () => ({ endpoints: cluster.endpoints }));
});

describe('GET /v1/{store}/kv?prefix= refuses bad input', () => {
  let t: TenantServer;
  beforeAll(async () => {
    t = await startTenantServer('lock.memory', {});
  });
  afterAll(() => t?.close());

  it.each([
    ['limit=abc', 'limit=abc', 'limit: must be an integer'],
    ['limit=', 'limit=', 'limit: must be an integer'],
    ['limit=0', 'limit=0', 'limit: must be between 1 and 1000, got 0'],
    ['limit=1001', 'limit=1001', 'limit: must be between 1 and 1000, got 1001'],
    ['limit=2.5', 'limit=2.5', 'limit: must be an integer'],
    ['key=cfg%2Fa&prefix=cfg', 'key=cfg%2Fa&prefix=cfg', 'prefix: give either key'],
    ['prefix=a%7C%7Cb', 'prefix=a%7C%7Cb', 'prefix: must not contain "||"'],
    [
      'a 1025-byte prefix',
      `prefix=${'x'.repeat(1025)}`,
      'prefix: must be at most 1024 bytes of UTF-8, got 1025',
    ],
    ['prefix=cfg&after=a%7C%7Cb', 'prefix=cfg&after=a%7C%7Cb', 'after: must not contain "||"'],
    ['prefix=%FF', 'prefix=%FF', 'prefix: must be percent-encoded UTF-8'],
    ['prefix=a&prefix=b', 'prefix=a&prefix=b', 'prefix: must be a string'],
  ])('%s is 400 naming the field, and the server serves on', async (_label, query, message) => {
    const reply = await t.http('orders', 'GET', `/v1/lockstore/kv?${query}`);
    expect(reply.status).toBe(400);
    expect(reply.body.errorCode).toBe('INVALID_ARGUMENT');
    expect(reply.body.message).toContain(message);
    expect((await t.http('billing', 'GET', '/v1/lockstore/kv?prefix=cfg')).status).toBe(200);
  });
});
