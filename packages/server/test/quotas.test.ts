import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRpc } from './support/grpc-client.js';
import type { TenantServer } from './support/tenants.js';
import { TOKENS, startTenantServer, watchEvents } from './support/tenants.js';

const BILLING_QUOTAS = { leases: 3, locks: 1, keys: 2, keyBytes: 10, counters: 1, watchers: 1, waiters: 1 };

/** The 429 every quota answers: the code, and a message naming the quota and its value. */
function expectQuota(reply: { status: number; body: any }, quota: string, limit: number) {
  expect(reply.status).toBe(429);
  expect(reply.body.errorCode).toBe('QUOTA_EXCEEDED');
  expect(reply.body.message).toContain(`${quota}:`);
  expect(reply.body.message).toContain(`quota is ${limit}`);
}

describe('per-app quotas (billing limited, orders not)', () => {
  let t: TenantServer;
  const leases: string[] = [];

  beforeAll(async () => {
    t = await startTenantServer('lock.memory', {}, { quotas: { billing: BILLING_QUOTAS } });
  });
  afterAll(() => t?.close());

  it('leases: the grant past the quota is 429 and grants nothing; Dapr locks count too', async () => {
    for (let i = 0; i < 2; i++) {
      leases.push((await t.http('billing', 'POST', '/v1/lockstore/leases', { ttlMs: 60_000 })).body.id);
    }
    const dapr = { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 60 };
    expect((await t.http('billing', 'POST', '/v1.0-alpha1/lock/lockstore', dapr)).body.success).toBe(true);
    expectQuota(await t.http('billing', 'POST', '/v1/lockstore/leases', { ttlMs: 60_000 }), 'leases', 3);
    expectQuota(
      await t.http('billing', 'POST', '/v1.0-alpha1/lock/lockstore', { ...dapr, resourceId: 'r2' }),
      'leases',
      3,
    );
    const grpc = await connectRpc(t.server.grpcPort);
    try {
      const request = { storeName: 'lockstore', resourceId: 'r3', lockOwner: 'o', expiryInSeconds: 60 };
      await expect(grpc.call('TryLockAlpha1', request, TOKENS.billing)).rejects.toMatchObject({
        code: 8, // RESOURCE_EXHAUSTED
        details: expect.stringContaining('leases:'),
      });
    } finally {
      grpc.close();
    }
    const listed = await t.http('ops', 'GET', '/v1/lockstore/leases');
    expect(listed.body.leases.filter((l: { app?: string }) => l.app === 'billing')).toHaveLength(3);
    for (const resourceId of ['r2', 'r3']) {
      const lock = await t.http('billing', 'GET', `/v1/lockstore/locks?name=${resourceId}`);
      expect(lock.body.held).toBe(false);
    }
    for (let i = 0; i < 4; i++) {
      expect((await t.http('orders', 'POST', '/v1/lockstore/leases', { ttlMs: 60_000 })).status).toBe(200);
    }
  });

  it('locks: the acquire past the quota is 429 and leaves the lock free', async () => {
    // The Dapr lock above already holds billing's one lock.
    const reply = await t.http('billing', 'POST', '/v1/lockstore/locks/acquire', {
      name: 'b',
      leaseId: leases[0],
    });
    expectQuota(reply, 'locks', 1);
    expect((await t.http('billing', 'GET', '/v1/lockstore/locks?name=b')).body.held).toBe(false);
    expect(
      (await t.http('billing', 'POST', '/v1.0-alpha1/unlock/lockstore', { resourceId: 'r', lockOwner: 'o' }))
        .body,
    ).toEqual({ status: 0 });
    const now = await t.http('billing', 'POST', '/v1/lockstore/locks/acquire', {
      name: 'b',
      leaseId: leases[0],
    });
    expect(now.body.acquired).toBe(true);
    const orders = (await t.http('orders', 'POST', '/v1/lockstore/leases', { ttlMs: 60_000 })).body.id;
    for (const name of ['x', 'y']) {
      const held = await t.http('orders', 'POST', '/v1/lockstore/locks/acquire', { name, leaseId: orders });
      expect(held.body.acquired).toBe(true);
    }
  });

  it('keys and bytes: a new key past either quota is 429 and writes nothing; an overwrite is not a new key', async () => {
    expect((await t.http('billing', 'PUT', '/v1/lockstore/kv', { key: 'k1', value: '12345' })).status).toBe(
      200,
    );
    expect((await t.http('billing', 'PUT', '/v1/lockstore/kv', { key: 'k2', value: '1234' })).status).toBe(
      200,
    );
    expectQuota(await t.http('billing', 'PUT', '/v1/lockstore/kv', { key: 'k3', value: '1' }), 'keys', 2);
    expect((await t.http('billing', 'GET', '/v1/lockstore/kv?key=k3')).status).toBe(404);
    // k1 may grow by one byte (10 in all), not by two.
    expect((await t.http('billing', 'PUT', '/v1/lockstore/kv', { key: 'k1', value: '123456' })).status).toBe(
      200,
    );
    expectQuota(
      await t.http('billing', 'PUT', '/v1/lockstore/kv', { key: 'k2', value: '12345' }),
      'keyBytes',
      10,
    );
    expect((await t.http('billing', 'GET', '/v1/lockstore/kv?key=k2')).body.value).toBe('1234');
    const big = 'x'.repeat(1000);
    expect((await t.http('orders', 'PUT', '/v1/lockstore/kv', { key: 'k9', value: big })).status).toBe(200);
  });

  it('counters: a new counter past the quota is 429; an existing one still counts', async () => {
    expect(
      (await t.http('billing', 'POST', '/v1/lockstore/counters/add', { name: 'c1', delta: 1 })).status,
    ).toBe(200);
    expectQuota(
      await t.http('billing', 'POST', '/v1/lockstore/counters/add', { name: 'c2', delta: 1 }),
      'counters',
      1,
    );
    expectQuota(
      await t.http('billing', 'PUT', '/v1/lockstore/counters', { name: 'c2', value: 5 }),
      'counters',
      1,
    );
    expect((await t.http('billing', 'GET', '/v1/lockstore/counters?name=c2')).body.value).toBe(0);
    expect(
      (await t.http('billing', 'POST', '/v1/lockstore/counters/add', { name: 'c1', delta: 1 })).body,
    ).toEqual({ value: 2 });
    expect(
      (await t.http('orders', 'POST', '/v1/lockstore/counters/add', { name: 'c2', delta: 1 })).status,
    ).toBe(200);
  });

  it('watchers: a second watch is 429 until the first ends', async () => {
    const first = await watchEvents(t.server, 'billing', 'lockstore');
    expect(first.status).toBe(200);
    const second = await t.http('billing', 'GET', '/v1/lockstore/watch');
    expectQuota(second, 'watchers', 1);
    const other = await watchEvents(t.server, 'orders', 'lockstore');
    expect(other.status).toBe(200);
    await first.stop();
    await other.stop();
    await new Promise((r) => setTimeout(r, 100));
    const third = await watchEvents(t.server, 'billing', 'lockstore');
    expect(third.status).toBe(200);
    await third.stop();
  });

  it('waiters: a second waiting acquire is 429 and does not queue', async () => {
    const holder = (await t.http('orders', 'POST', '/v1/shared/leases', { ttlMs: 60_000 })).body.id;
    await t.http('orders', 'POST', '/v1/shared/locks/acquire', { name: 'w', leaseId: holder });
    const mine = (await t.http('billing', 'POST', '/v1/shared/leases', { ttlMs: 60_000 })).body.id;
    const waiting = t.http('billing', 'POST', '/v1/shared/locks/acquire', {
      name: 'w',
      leaseId: mine,
      waitMs: 3_000,
    });
    await new Promise((r) => setTimeout(r, 100));
    const second = await t.http('billing', 'POST', '/v1/shared/locks/acquire', {
      name: 'w2',
      leaseId: mine,
      waitMs: 3_000,
    });
    expectQuota(second, 'waiters', 1);
    expect((await t.http('orders', 'GET', '/v1/shared/locks?name=w')).body.waiters).toBe(1);
    await t.http('orders', 'DELETE', `/v1/shared/leases/${holder}`);
    expect((await waiting).body.acquired).toBe(true);
  });

  it('shows usage and limits per app and quota on /metrics', async () => {
    const text = await (await fetch(`${t.server.url}/metrics`)).text();
    expect(text).toContain('leasehold_quota_usage{app="billing",store="lockstore",quota="keys"} 2');
    expect(text).toContain('leasehold_quota_usage{app="billing",store="lockstore",quota="keyBytes"} 10');
    expect(text).toContain('leasehold_quota_usage{app="billing",store="lockstore",quota="counters"} 1');
    expect(text).toContain('leasehold_quota_limit{app="billing",quota="leases"} 3');
    expect(text).not.toContain('leasehold_quota_limit{app="orders",quota="leases"}');
    expect(text).toContain('leasehold_quota_limit{app="orders",quota="waiters"} 10000');
  });
});
