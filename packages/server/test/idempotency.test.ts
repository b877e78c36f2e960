import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { EtcdCluster } from './support/etcd-harness.js';
import { RedisServer } from './support/redis-harness.js';
import { startTenantServer } from './support/tenants.js';
import type { TenantServer } from './support/tenants.js';

/**
 * kv.put and counters.add with an idempotency key, over HTTP on one store type: a repeat (a retry
 * whose reply was lost) applies nothing more and answers as the first did.
 */
function idempotencySuite(type: string, metadata: () => Record<string, string>): void {
  let t: TenantServer;
  beforeAll(async () => {
    t = await startTenantServer(type, metadata());
  });
  afterAll(() => t?.close());

  it('a put repeated with the same Idempotency-Key header applies once and replays the first result', async () => {
    const body = { key: 'idem/put', value: 'v' };
    const first = await t.http('orders', 'PUT', '/v1/lockstore/kv', body, { 'idempotency-key': '"put-1"' });
    const again = await t.http('orders', 'PUT', '/v1/lockstore/kv', body, { 'idempotency-key': 'put-1' });
    expect(first.status).toBe(200);
    expect(again).toEqual(first);
    const entry = await t.http('orders', 'GET', '/v1/lockstore/kv?key=idem%2Fput');
    expect(entry.body).toMatchObject({ version: 1, revision: first.body.revision });
  });

  it('an add repeated with the same idempotencyKey field applies once and returns the first value', async () => {
    const body = { name: 'idem/ctr', delta: 5, idempotencyKey: 'add-1' };
    expect((await t.http('orders', 'POST', '/v1/lockstore/counters/add', body)).body).toEqual({ value: 5 });
    expect((await t.http('orders', 'POST', '/v1/lockstore/counters/add', body)).body).toEqual({ value: 5 });
    expect((await t.http('orders', 'GET', '/v1/lockstore/counters?name=idem%2Fctr')).body.value).toBe(5);
  });

  it('the same key with another request is 422 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const body = { name: 'idem/reused', delta: 1, idempotencyKey: 'add-2' };
    await t.http('orders', 'POST', '/v1/lockstore/counters/add', body);
    const other = await t.http('orders', 'POST', '/v1/lockstore/counters/add', { ...body, delta: 2 });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ errorCode: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await t.http('orders', 'GET', '/v1/lockstore/counters?name=idem%2Freused')).body.value).toBe(1);
  });

  it("another app's key never meets this app's, even on a shared key space", async () => {
    const body = { name: 'idem/shared', delta: 5, idempotencyKey: 'same-key' };
    expect((await t.http('orders', 'POST', '/v1/shared/counters/add', body)).body).toEqual({ value: 5 });
    expect((await t.http('billing', 'POST', '/v1/shared/counters/add', body)).body).toEqual({ value: 10 });
  });

  it('a malformed key is a 400 naming idempotencyKey and its limit', async () => {
    const long = { name: 'idem/bad', delta: 1, idempotencyKey: 'x'.repeat(256) };
    const reply = await t.http('orders', 'POST', '/v1/lockstore/counters/add', long);
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(/^idempotencyKey: must be 1 to 255 visible ASCII characters/);
    const spaced = await t.http(
      'orders',
      'PUT',
      '/v1/lockstore/kv',
      { key: 'k', value: 'v' },
      {
        'idempotency-key': 'has space',
      },
    );
    expect(spaced.status).toBe(400);
    const differ = await t.http(
      'orders',
      'PUT',
      '/v1/lockstore/kv',
      { key: 'k', value: 'v', idempotencyKey: 'a' },
      {
        'idempotency-key': 'b',
      },
    );
    expect(differ.body.message).toMatch(/^idempotencyKey: /);
  });
}

describe('idempotency keys on lock.memory', () => idempotencySuite('lock.memory', () => ({})));
describe('idempotency keys on lock.sqlite', () => idempotencySuite('lock.sqlite', () => ({})));

describeWithBackend('redis-server', 'idempotency keys on lock.redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start(binary);
  });
  afterAll(() => redis?.destroy());
  idempotencySuite('lock.redis', () => ({ redisHost: redis.address }));
});

describeWithBackend('redis-server', 'idempotency keys on Redlock', (binary) => {
  const masters: RedisServer[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) masters.push(await RedisServer.start(binary));
  });
  afterAll(() => Promise.all(masters.map((m) => m.destroy())));
  idempotencySuite('lock.redis', () => ({ redisHosts: masters.map((m) => m.address).join(',') }));
});

describeWithBackend('etcd', 'idempotency keys on lock.etcd', (binary) => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
  });
  afterAll(() => cluster?.stop());
  idempotencySuite('lock.etcd', () => ({ endpoints: cluster.endpoints }));
});
