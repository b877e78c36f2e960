import { LeaseholdClient } from '@leasehold/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { EtcdCluster } from './support/etcd-harness.js';
import { connectRpc } from './support/grpc-client.js';
import { RedisServer } from './support/redis-harness.js';
import type { TenantServer } from './support/tenants.js';
import { TOKENS, openStream, startTenantServer, watchEvents } from './support/tenants.js';

/** What `orders` holds, read by `orders` itself: every step of `billing` must leave it as it was. */
async function ordersView(t: TenantServer, leaseId: string, ownLeaseId: string) {
  const lease = await t.http('orders', 'GET', `/v1/shared/leases/${leaseId}`);
  const shared = await t.http('orders', 'GET', '/v1/shared/locks?name=job');
  const own = await t.http('orders', 'GET', '/v1/lockstore/locks?name=job');
  const key = await t.http('orders', 'GET', '/v1/shared/kv?key=bound');
  return {
    lease: [lease.status, lease.body?.locks, lease.body?.keys],
    shared: [shared.body?.leaseId, shared.body?.fencingToken],
    own: [own.body?.leaseId === ownLeaseId, own.body?.fencingToken],
    key: [key.status, key.body?.value, key.body?.leaseId],
  };
}

/** Ids next to `id`: ±1..8 on its last 8 hex digits, and on its first 16 (an etcd lease id's place). */
function neighbours(id: string): string[] {
  const out: string[] = [];
  const shift = (start: number, end: number, delta: number) => {
    const part = id.slice(start, end);
    if (!/^[0-9a-f]+$/.test(part)) return;
    const moved = (BigInt(`0x${part}`) + BigInt(delta)).toString(16).padStart(part.length, '0');
    if (moved.length === part.length && moved !== part) out.push(id.slice(0, start) + moved + id.slice(end));
  };
  for (let d = -8; d <= 8; d++) {
    shift(id.length - 8, id.length, d);
    shift(0, Math.min(16, id.length), d);
  }
  if (/^\d+$/.test(id)) for (let d = -8; d <= 8; d++) if (d) out.push(String(BigInt(id) + BigInt(d)));
  return out;
}

/** The whole tenancy contract on one store type, over HTTP, the stream, gRPC and SSE. */
function tenancySuite(type: string, metadata: () => Record<string, string>) {
  let t: TenantServer;
  /** Orders' lease in the shared store, and the one in its own key space. */
  let ordersLease: string;
  let ordersOwnLease: string;
  let billingLease: string;

  beforeAll(async () => {
    t = await startTenantServer(type, metadata());
    for (const store of ['lockstore', 'shared']) {
      const lease = { ttlMs: 60_000, owner: 'orders-1' };
      const id = (await t.http('orders', 'POST', `/v1/${store}/leases`, lease)).body.id as string;
      const held = await t.http('orders', 'POST', `/v1/${store}/locks/acquire`, { name: 'job', leaseId: id });
      expect(held.body.acquired).toBe(true);
      if (store === 'shared') ordersLease = id;
      else ordersOwnLease = id;
    }
    await t.http('orders', 'PUT', '/v1/shared/kv', { key: 'bound', value: 'v', leaseId: ordersLease });
    const dapr = await t.http('orders', 'POST', '/v1.0-alpha1/lock/shared', {
      resourceId: 'dapr-res',
      lockOwner: 'orders-owner',
      expiryInSeconds: 60,
    });
    expect(dapr.body.success).toBe(true);
    billingLease = (await t.http('billing', 'POST', '/v1/shared/leases', { ttlMs: 60_000 })).body.id;
  });
  afterAll(() => t?.close());

  it("answers another app's lease id over HTTP exactly as a missing one, and changes nothing", async () => {
    const before = await ordersView(t, ordersLease, ordersOwnLease);
    expect(before.lease[0]).toBe(200);
    const missing = 'f'.repeat(ordersLease.length);
    const calls = (id: string) =>
      [
        t.http('billing', 'GET', `/v1/shared/leases/${id}`),
        t.http('billing', 'POST', `/v1/shared/leases/${id}/keepalive`),
        t.http('billing', 'POST', '/v1/shared/locks/acquire', { name: 'other', leaseId: id }),
        t.http('billing', 'POST', '/v1/shared/locks/acquire', { name: 'other', leaseId: id, waitMs: 100 }),
        t.http('billing', 'PUT', '/v1/shared/kv', { key: 'stolen', value: 'x', leaseId: id }),
        t.http('billing', 'POST', '/v1/shared/locks/release', { name: 'job', leaseId: id }),
        t.http('billing', 'DELETE', `/v1/shared/leases/${id}`),
      ] as const;
    const foreign = await Promise.all(calls(ordersLease));
    const absent = await Promise.all(calls(missing));
    const strip = (r: { status: number; body: any }, id: string) =>
      JSON.stringify([r.status, r.body]).replaceAll(id, '<id>');
    expect(foreign.map((r) => strip(r, ordersLease))).toEqual(absent.map((r) => strip(r, missing)));
    expect(foreign.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 200, 200]);
    expect(foreign[5].body).toEqual({ status: 'held_by_other' });
    expect(foreign[6].body).toEqual({ revoked: false });
    expect(await ordersView(t, ordersLease, ordersOwnLease)).toEqual(before);
    expect((await t.http('billing', 'GET', '/v1/shared/kv?key=stolen')).status).toBe(404);
  });

  it('shows a holder of another app by its owner at most, on a shared key space', async () => {
    const busy = await t.http('billing', 'POST', '/v1/shared/locks/acquire', {
      name: 'job',
      leaseId: billingLease,
    });
    expect(busy.body).toEqual({ acquired: false, holder: { owner: 'orders-1' } });
    const described = await t.http('billing', 'GET', '/v1/shared/locks?name=job');
    expect(described.body.held).toBe(true);
    expect(described.body).not.toHaveProperty('leaseId');
    const listed = await t.http('billing', 'GET', '/v1/shared/locks?prefix=');
    expect(JSON.stringify(listed.body)).not.toContain(ordersLease);
    const key = await t.http('billing', 'GET', '/v1/shared/kv?key=bound');
    expect(key.body.value).toBe('v');
    expect(JSON.stringify(key.body)).not.toContain(ordersLease);
    // Its own view names its lease.
    expect((await t.http('orders', 'GET', '/v1/shared/locks?name=job')).body.leaseId).toBe(ordersLease);
  });

  it("refuses ids next to billing's own, where a sequential backend would put orders'", async () => {
    const guesses = neighbours(billingLease);
    expect(guesses.length).toBeGreaterThan(10);
    for (const id of guesses) {
      const reply = await t.http('billing', 'POST', `/v1/shared/leases/${id}/keepalive`);
      expect(reply.status, `guessed id ${id}`).toBe(404);
    }
    expect((await t.http('orders', 'GET', `/v1/shared/leases/${ordersLease}`)).status).toBe(200);
  });

  it("answers another app's lease id over the stream exactly as a missing one", async () => {
    const stream = await openStream(t.server, 'billing');
    try {
      const before = await ordersView(t, ordersLease, ordersOwnLease);
      for (const [op, args] of [
        ['getLease', { leaseId: ordersLease }],
        ['keepAlive', { leaseId: ordersLease }],
        ['acquire', { name: 'other', leaseId: ordersLease }],
        ['put', { key: 'stolen', value: 'x', leaseId: ordersLease }],
      ] as const) {
        const reply = await stream.call(op, 'shared', args);
        expect(reply.error?.errorCode, op).toBe('LEASE_NOT_FOUND');
      }
      expect((await stream.call('revokeLease', 'shared', { leaseId: ordersLease })).result).toEqual({
        revoked: false,
      });
      const busy = await stream.call('acquire', 'shared', { name: 'job', leaseId: billingLease });
      expect(busy.result).toEqual({ acquired: false, holder: { owner: 'orders-1' } });
      const described = await stream.call('describeLock', 'shared', { name: 'job' });
      expect(described.result).not.toHaveProperty('leaseId');
      expect(await ordersView(t, ordersLease, ordersOwnLease)).toEqual(before);
    } finally {
      stream.close();
    }
  });

  it("cannot unlock another app's Dapr lock over gRPC, and sees no lease of it", async () => {
    const grpc = await connectRpc(t.server.grpcPort);
    try {
      const lock = { storeName: 'shared', resourceId: 'dapr-res', lockOwner: 'billing-owner' };
      expect(
        await grpc.call('TryLockAlpha1', { ...lock, expiryInSeconds: 10 }, TOKENS.billing),
      ).toMatchObject({
        success: false,
      });
      expect(await grpc.call('UnlockAlpha1', lock, TOKENS.billing)).toMatchObject({
        status: 2,
      });
      // The owner string is visible on a shared key space; it still does not unlock another app's lock.
      const stolen = { ...lock, lockOwner: 'orders-owner' };
      expect(await grpc.call('UnlockAlpha1', stolen, TOKENS.billing)).toMatchObject({ status: 2 });
      const overHttp = await t.http('billing', 'POST', '/v1.0-alpha1/unlock/shared', {
        resourceId: 'dapr-res',
        lockOwner: 'orders-owner',
      });
      expect(overHttp.body).toEqual({ status: 2 });
      // In its own key space the same resource is a different lock.
      const own = { ...lock, storeName: 'lockstore' };
      expect(await grpc.call('TryLockAlpha1', { ...own, expiryInSeconds: 10 }, TOKENS.billing)).toMatchObject(
        {
          success: true,
        },
      );
      expect(await grpc.call('UnlockAlpha1', own, TOKENS.billing)).toMatchObject({ status: 0 });
      const held = await t.http('orders', 'GET', '/v1/shared/locks?name=dapr-res');
      expect(held.body.held).toBe(true);
      expect(held.body.owner).toBe('orders-owner');
    } finally {
      grpc.close();
    }
  });

  it("watches only what it may see: no lease id of another app, no other app's expiries", async () => {
    const billing = await watchEvents(t.server, 'billing', 'shared');
    const orders = await watchEvents(t.server, 'orders', 'shared');
    expect(billing.status).toBe(200);
    const short = (await t.http('orders', 'POST', '/v1/shared/leases', { ttlMs: 300 })).body.id as string;
    await t.http('orders', 'POST', '/v1/shared/locks/acquire', { name: 'short', leaseId: short });
    await t.http('orders', 'PUT', '/v1/shared/kv', { key: 'short-key', value: 'x', leaseId: short });
    const deadline = Date.now() + 10_000;
    while (!orders.events.some((e) => e.type === 'lease.expired') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    const seenByBilling = await billing.stop();
    const seenByOrders = await orders.stop();
    expect(seenByOrders.some((e) => e.type === 'lease.expired' && e.leaseId === short)).toBe(true);
    expect(seenByOrders.some((e) => e.type === 'lock.acquired' && e.leaseId === short)).toBe(true);
    expect(seenByBilling.map((e) => `${e.type} ${e.key}`)).toEqual(
      expect.arrayContaining(['lock.acquired short', 'put short-key']),
    );
    expect(seenByBilling.some((e) => e.type === 'lease.expired')).toBe(false);
    expect(JSON.stringify(seenByBilling)).not.toContain(short);
    expect(JSON.stringify(seenByBilling)).not.toContain(ordersLease);
  });

  it('lets the admin describe, keep alive, act as the app, force-release and revoke, and logs each action', async () => {
    const lease = await t.http('ops', 'GET', `/v1/shared/leases/${ordersLease}`);
    expect(lease.status).toBe(200);
    expect(lease.body.app).toBe('orders');
    expect((await t.http('ops', 'POST', `/v1/shared/leases/${ordersLease}/keepalive`)).status).toBe(200);
    const asOrders = { 'leasehold-app': 'orders' };
    const own = await t.http('ops', 'GET', '/v1/lockstore/locks?name=job', undefined, asOrders);
    expect(own.body.leaseId).toBe(ordersOwnLease);
    const shared = await t.http('ops', 'GET', '/v1/shared/locks?name=job');
    expect(shared.body.leaseId).toBe(ordersLease);
    // An app may not act as another.
    const refused = await t.http('billing', 'GET', '/v1/lockstore/locks?name=job', undefined, asOrders);
    expect(refused.status).toBe(403);
    for (const transport of ['stream', 'http'] as const) {
      const sdk = (tenant: 'ops' | 'billing') =>
        new LeaseholdClient({ url: t.server.url, token: TOKENS[tenant], actAs: 'orders', transport });
      const admin = sdk('ops');
      const app = sdk('billing');
      try {
        expect((await admin.locks.describe('job')).leaseId, transport).toBe(ordersOwnLease);
        await expect(app.locks.describe('job'), transport).rejects.toMatchObject({
          errorCode: 'FORBIDDEN',
        });
      } finally {
        await Promise.all([admin.close(), app.close()]);
      }
    }
    const stream = await openStream(t.server, 'ops');
    try {
      const viaStream = await stream.call('getLease', 'shared', { leaseId: ordersLease });
      expect(viaStream.result.app).toBe('orders');
    } finally {
      stream.close();
    }
    const forced = await t.http('ops', 'POST', '/v1/shared/locks/force-release', { name: 'job' });
    expect(forced.body).toEqual({ released: true });
    expect((await t.http('ops', 'DELETE', `/v1/shared/leases/${ordersLease}`)).body).toEqual({
      revoked: true,
    });
    expect((await t.http('orders', 'GET', '/v1/shared/kv?key=bound')).status).toBe(404);
    const asOrdersForce = await t.http(
      'ops',
      'POST',
      '/v1/lockstore/locks/force-release',
      { name: 'job' },
      asOrders,
    );
    expect(asOrdersForce.body).toEqual({ released: true });
    expect((await t.http('orders', 'GET', '/v1/lockstore/locks?name=job')).body.held).toBe(false);
    const audited = t.logLines.filter((line) => line.msg === 'admin action');
    expect(audited).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ admin: 'ops', op: 'revokeLease', store: 'shared' }),
        expect.objectContaining({ admin: 'ops', op: 'forceRelease', store: 'shared' }),
        expect.objectContaining({ admin: 'ops', app: 'orders', op: 'describeLock' }),
      ]),
    );
  });
}

describe('tenancy on lock.memory', () => tenancySuite('lock.memory', () => ({})));
describe('tenancy on lock.sqlite', () => tenancySuite('lock.sqlite', () => ({})));

describeWithBackend('redis-server', 'tenancy on lock.redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start(binary);
  });
  afterAll(() => redis?.stop());
  tenancySuite('lock.redis', () => ({ redisHost: `127.0.0.1:${redis.port}` }));
});

describeWithBackend('etcd', 'tenancy on lock.etcd', (binary) => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
  });
  afterAll(() => cluster?.stop());
  tenancySuite('lock.etcd', () => ({ endpoints: cluster.endpoints }));
});
