import { afterAll, describe, expect, it } from 'vitest';
import { BILLING, ORDERS, poolServiceFixture } from '../service/pool-service-fixture.js';
import type { Caller } from '../tenancy.js';

const { local, service, run, leaseOf } = poolServiceFixture('semaphores', 'cannot offer pools honestly');
afterAll(() => local.close());

describe('the semaphore service', () => {
  it('acquires, describes, checks and releases by name through the op table', async () => {
    const leaseId = await leaseOf(ORDERS);
    const grant = await run(ORDERS, 'semaphores.acquire', { name: 'api', leaseId, limit: 5, permits: 2 });
    expect(grant).toEqual({ acquired: true, fencingToken: expect.any(Number), permits: 2 });
    const described = await run(ORDERS, 'semaphores.describe', { name: 'api' });
    expect(described).toMatchObject({ name: 'api', limit: 5, used: 2, waiters: 0 });
    expect(described.holders[0]).toMatchObject({ leaseId, permits: 2, fencingToken: grant.fencingToken });
    expect(await run(ORDERS, 'semaphores.list', { prefix: 'a' })).toHaveLength(1);
    const token = String(grant.fencingToken);
    expect(await run(ORDERS, 'semaphores.check', { name: 'api', token })).toEqual({ valid: true });
    expect(await run(ORDERS, 'semaphores.release', { name: 'api', leaseId })).toEqual({ status: 'released' });
    expect(await run(ORDERS, 'semaphores.check', { name: 'api', token })).toEqual({ valid: false });
  });

  it('refuses limits and permits out of bounds, naming the field and the bound', async () => {
    const leaseId = await leaseOf(ORDERS);
    const acquire = (body: object) => run(ORDERS, 'semaphores.acquire', { name: 'b', leaseId, ...body });
    await expect(acquire({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'limit' });
    await expect(acquire({ limit: 65_536 })).rejects.toThrow(/limit: must be between 1 and 65535/);
    await expect(acquire({ limit: 2, permits: 3 })).rejects.toThrow(/permits: must be between 1 and 2/);
    await expect(acquire({ limit: 2, permits: 0 })).rejects.toMatchObject({ field: 'permits' });
    const set = run(ORDERS, 'semaphores.setLimit', { name: 'b', limit: 70_000 });
    await expect(set).rejects.toThrow(/limit: must be between 1 and 65535/);
  });

  it("answers another app's semaphore exactly as a missing one", async () => {
    const leaseId = await leaseOf(ORDERS);
    const grant = await run(ORDERS, 'semaphores.acquire', { name: 'mine', leaseId, limit: 1 });
    const token = String(grant.fencingToken);
    const missing = run(BILLING, 'semaphores.describe', { name: 'never-made' });
    await expect(missing).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const other = run(BILLING, 'semaphores.describe', { name: 'mine' });
    await expect(other).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'name: no semaphore mine' });
    expect(await run(BILLING, 'semaphores.check', { name: 'mine', token })).toEqual({ valid: false });
    expect(await run(BILLING, 'semaphores.list', { prefix: '' })).toEqual([]);
    const billingLease = await leaseOf(BILLING);
    // Billing's own `mine` is a new semaphore: without a limit it is unknown.
    const acquire = run(BILLING, 'semaphores.acquire', { name: 'mine', leaseId: billingLease });
    await expect(acquire).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const stolen = run(BILLING, 'semaphores.release', { name: 'mine', leaseId });
    expect(await stolen).toEqual({ status: 'not_held' });
    expect(await run(ORDERS, 'semaphores.check', { name: 'mine', token })).toEqual({ valid: true });
  });

  it("labels permit events kind 'semaphore' by name, for the app and for an admin's feed", async () => {
    const seen: unknown[] = [];
    const admin: Caller = { appId: 'ops', role: 'admin' };
    const stops = [
      service.watch.subscribe(ORDERS, 'mem', 'watched', undefined, (e) =>
        seen.push(['app', e.type, e.key, e.kind]),
      ),
      service.watch.subscribeAll(admin, 'mem', undefined, (e) => {
        if (e.key === 'watched') seen.push(['admin', e.type, e.key, e.kind, e.space]);
      }),
    ];
    const leaseId = await leaseOf(ORDERS);
    await run(ORDERS, 'semaphores.acquire', { name: 'watched', leaseId, limit: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    for (const stop of stops) stop();
    expect(seen).toEqual([
      ['app', 'permit.acquired', 'watched', 'semaphore'],
      ['admin', 'permit.acquired', 'watched', 'semaphore', 'orders'],
    ]);
  });

  it('answers NOT_SUPPORTED on a store without semaphores, naming the store and why', async () => {
    const leaseId = await leaseOf(ORDERS);
    const refused = run(ORDERS, 'semaphores.acquire', { name: 'x', leaseId, limit: 1 }, 'plain');
    await expect(refused).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: 'store: plain has no semaphores: cannot offer pools honestly',
    });
  });
});
