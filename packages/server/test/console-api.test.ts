import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant, TenantServer } from './support/tenants.js';
import { TOKENS, startTenantServer } from './support/tenants.js';

/** The reads behind the operator console: scoped to the caller, every app only for an admin. */
describe('console reads: stores, overview, queues and every app’s locks and leases', () => {
  let t: TenantServer;
  const waits: Promise<unknown>[] = [];
  let ordersLease: string;
  let billingLease: string;

  async function lease(tenant: Tenant, owner: string, store = 'lockstore'): Promise<string> {
    return (await t.http(tenant, 'POST', `/v1/${store}/leases`, { ttlMs: 60_000, owner })).body.id;
  }

  /** Queues `tenant` for `name` and waits until the queue holds `length` waiters. */
  async function enqueue(tenant: Tenant, store: string, name: string, owner: string, length: number) {
    const id = await lease(tenant, owner, store);
    waits.push(t.http(tenant, 'POST', `/v1/${store}/locks/acquire`, { name, leaseId: id, waitMs: 30_000 }));
    await expect
      .poll(
        async () => (await t.http('ops', 'GET', `/v1/${store}/locks/queue?name=${name}`)).body.waiters.length,
      )
      .toBe(length);
    return id;
  }

  beforeAll(async () => {
    t = await startTenantServer('lock.memory', {});
    ordersLease = await lease('orders', 'orders-1');
    billingLease = await lease('billing', 'billing-1');
    await t.http('orders', 'POST', '/v1/lockstore/locks/acquire', { name: 'job', leaseId: ordersLease });
    await t.http('orders', 'PUT', '/v1/lockstore/kv', { key: 'state', value: 'v', leaseId: ordersLease });
    await t.http('billing', 'POST', '/v1/lockstore/locks/acquire', { name: 'job', leaseId: billingLease });
  });

  afterAll(async () => {
    await t.close();
    await Promise.allSettled(waits);
  });

  it('lists the stores and their capabilities to an app, not only to an admin', async () => {
    const reply = await t.http('orders', 'GET', '/v1/stores');
    expect(reply.status).toBe(200);
    expect(reply.body.stores.map((s: { name: string }) => s.name)).toEqual(['lockstore', 'shared']);
    expect(reply.body.stores[0].capabilities).toEqual(expect.arrayContaining(['locks', 'describeQueue']));
  });

  it('lists every app’s locks and leases, labelled by app, to an admin only', async () => {
    const all = await t.http('ops', 'GET', '/v1/lockstore/locks/all');
    expect(all.body.locks).toEqual([
      expect.objectContaining({ app: 'billing', name: 'job', leaseId: billingLease, space: 'billing' }),
      expect.objectContaining({ app: 'orders', name: 'job', leaseId: ordersLease, space: 'orders' }),
    ]);
    const refused = await t.http('orders', 'GET', '/v1/lockstore/locks/all');
    expect(refused).toMatchObject({ status: 403, body: { errorCode: 'FORBIDDEN' } });
    // `leases list`: another app's lease shows its locks and keys too.
    const leases = (await t.http('ops', 'GET', '/v1/lockstore/leases')).body.leases;
    expect(leases.find((l: { id: string }) => l.id === ordersLease)).toMatchObject({
      app: 'orders',
      locks: ['job'],
      keys: ['state'],
    });
    const audited = t.logLines.filter((l) => l.op === 'listAllLocks' && l.admin === 'ops');
    expect(audited.length).toBeGreaterThan(0);
  });

  it('scopes an overview to its caller: an app never sees another app’s lease ids', async () => {
    const orders = (await t.http('orders', 'GET', '/v1/lockstore/overview')).body;
    expect(orders.caller).toEqual({ appId: 'orders', role: 'app' });
    expect(orders.locks).toEqual([expect.objectContaining({ name: 'job', leaseId: ordersLease })]);
    expect(orders.leases.map((l: { id: string }) => l.id)).toEqual([ordersLease]);
    expect(JSON.stringify(orders)).not.toContain(billingLease);
    const admin = (await t.http('ops', 'GET', '/v1/lockstore/overview')).body;
    expect(admin.locks.map((l: { app: string }) => l.app)).toEqual(['billing', 'orders']);
    expect(admin.leases.map((l: { id: string }) => l.id)).toEqual(
      expect.arrayContaining([ordersLease, billingLease]),
    );
  });

  it('names the waiters in queue order to their own app and the admin; others see only places', async () => {
    const holder = await lease('orders', 'shared-holder', 'shared');
    await t.http('orders', 'POST', '/v1/shared/locks/acquire', { name: 'queue', leaseId: holder });
    const first = await enqueue('billing', 'shared', 'queue', 'billing-waiter', 1);
    const second = await enqueue('orders', 'shared', 'queue', 'orders-waiter', 2);
    const asAdmin = (await t.http('ops', 'GET', '/v1/shared/locks/queue?name=queue')).body.waiters;
    expect(asAdmin).toMatchObject([
      { position: 1, leaseId: first, app: 'billing', owner: 'billing-waiter' },
      { position: 2, leaseId: second, app: 'orders', owner: 'orders-waiter' },
    ]);
    const asOrders = (await t.http('orders', 'GET', '/v1/shared/locks/queue?name=queue')).body.waiters;
    expect(asOrders[0]).toEqual({ position: 1, since: expect.any(Number) });
    expect(asOrders[1]).toMatchObject({ position: 2, leaseId: second, owner: 'orders-waiter' });
    const overview = (await t.http('orders', 'GET', '/v1/shared/overview')).body;
    expect(overview.locks[0].queue).toEqual(asOrders);
    expect(JSON.stringify(overview)).not.toContain(first);
  });

  it('refuses a bad name with a 400 naming the field, and an app’s all-apps watch with a 403', async () => {
    const bad = await t.http('orders', 'GET', '/v1/lockstore/locks/queue?name=a||b');
    expect(bad).toMatchObject({ status: 400, body: { errorCode: 'INVALID_ARGUMENT' } });
    expect(bad.body.message).toContain('name');
    const missing = await t.http('orders', 'GET', '/v1/lockstore/locks/queue');
    expect(missing.status).toBe(400);
    const watch = await fetch(`${t.server.url}/v1/lockstore/watch?apps=all`, {
      headers: { 'dapr-api-token': TOKENS.billing },
    });
    expect(watch.status).toBe(403);
    expect((await t.http('orders', 'GET', '/v1/nostore/overview')).status).toBe(404);
  });

  it('streams every app’s events, named in their key spaces, to an admin', async () => {
    const controller = new AbortController();
    const response = await fetch(`${t.server.url}/v1/lockstore/watch?apps=all`, {
      headers: { 'dapr-api-token': TOKENS.ops },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const id = await lease('billing', 'billing-2');
    await t.http('billing', 'POST', '/v1/lockstore/locks/acquire', { name: 'feed', leaseId: id });
    let text = '';
    while (!text.includes('"key":"feed"')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('"app":"billing"');
    expect(text).toContain('"space":"billing"');
  });
});
