import { afterAll, describe, expect, it } from 'vitest';
import { BILLING, ORDERS, poolServiceFixture } from '../service/pool-service-fixture.js';

const { local, run, leaseOf } = poolServiceFixture('multiLock', 'cannot be honest here');
afterAll(() => local.close());

describe('the multi-lock service', () => {
  it('takes and releases a set by name through the op table; each is then an ordinary lock', async () => {
    const leaseId = await leaseOf(ORDERS);
    const grant = await run(ORDERS, 'locks.acquireAll', { names: ['b', 'a', 'b'], leaseId });
    expect(grant).toEqual({
      acquired: true,
      fencingTokens: { a: expect.any(Number), b: expect.any(Number) },
    });
    const described = await run(ORDERS, 'locks.describe', { name: 'a' });
    expect(described).toMatchObject({ name: 'a', held: true, leaseId, fencingToken: grant.fencingTokens.a });
    const statuses = await run(ORDERS, 'locks.releaseAll', { names: ['a', 'b', 'c'], leaseId });
    expect(statuses).toEqual({ statuses: { a: 'released', b: 'released', c: 'not_held' } });
  });

  it('refuses bad names, naming the field and the limit, and changes nothing', async () => {
    const leaseId = await leaseOf(ORDERS);
    const acquire = (names: unknown) => run(ORDERS, 'locks.acquireAll', { names, leaseId });
    await expect(acquire('a')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'names' });
    await expect(acquire([])).rejects.toThrow(/names: must name at least 1 lock/);
    const many = Array.from({ length: 65 }, (_, i) => `n${i}`);
    await expect(acquire(many)).rejects.toThrow(/names: must name at most 64 distinct locks, got 65/);
    await expect(acquire(['ok', 'a||b'])).rejects.toMatchObject({ field: 'names[1]' });
    await expect(acquire(['ok', ''])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'names[1]' });
    await expect(acquire(['ok', 'x'.repeat(1025)])).rejects.toThrow(/names\[1\]: must be at most 1024 bytes/);
    const waitMs = run(ORDERS, 'locks.acquireAll', { names: ['ok'], leaseId, waitMs: -1 });
    await expect(waitMs).rejects.toMatchObject({ field: 'waitMs' });
    expect((await run(ORDERS, 'locks.describe', { name: 'ok' })).held).toBe(false);
    expect((await run(ORDERS, 'locks.describe', { name: 'n0' })).held).toBe(false);
    const release = run(ORDERS, 'locks.releaseAll', { names: many, leaseId });
    await expect(release).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'names' });
  });

  it("answers another app's lease as a missing one, and never touches its locks", async () => {
    const ordersLease = await leaseOf(ORDERS);
    const stolen = run(BILLING, 'locks.acquireAll', { names: ['x'], leaseId: ordersLease });
    await expect(stolen).rejects.toMatchObject({ code: 'LEASE_NOT_FOUND' });
    const missing = run(BILLING, 'locks.acquireAll', { names: ['x'], leaseId: 'no-such-lease' });
    await expect(missing).rejects.toMatchObject({ code: 'LEASE_NOT_FOUND' });
    await run(ORDERS, 'locks.acquireAll', { names: ['shared'], leaseId: ordersLease });
    const billingLease = await leaseOf(BILLING);
    // Billing's `shared` is its own name in its own key space: free.
    const own = await run(BILLING, 'locks.acquireAll', { names: ['shared'], leaseId: billingLease });
    expect(own.acquired).toBe(true);
    const released = await run(BILLING, 'locks.releaseAll', { names: ['shared'], leaseId: ordersLease });
    expect(released).toEqual({ statuses: { shared: 'held_by_other' } });
    expect((await run(ORDERS, 'locks.describe', { name: 'shared' })).leaseId).toBe(ordersLease);
  });

  it('answers NOT_SUPPORTED on a store without multi-locks, naming the store and why', async () => {
    const leaseId = await leaseOf(ORDERS);
    const refused = run(ORDERS, 'locks.acquireAll', { names: ['x'], leaseId }, 'plain');
    await expect(refused).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: 'store: plain has no multiLock: cannot be honest here',
    });
  });
});
