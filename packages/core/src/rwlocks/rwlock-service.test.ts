import { afterAll, describe, expect, it } from 'vitest';
import { BILLING, ORDERS, poolServiceFixture } from '../service/pool-service-fixture.js';

const { local, service, run, leaseOf } = poolServiceFixture('rwlocks', 'not yet');
afterAll(() => local.close());

describe('the read/write lock service', () => {
  it('acquires, describes, lists, checks and releases by name through the op table', async () => {
    const leaseId = await leaseOf(ORDERS);
    const grant = await run(ORDERS, 'rwlocks.acquire', { name: 'doc', leaseId, mode: 'write' });
    expect(grant).toEqual({ acquired: true, mode: 'write', fencingToken: expect.any(Number) });
    const described = await run(ORDERS, 'rwlocks.describe', { name: 'doc' });
    expect(described).toMatchObject({ name: 'doc', mode: 'write', waiters: 0 });
    expect(described.holders[0]).toMatchObject({ leaseId, mode: 'write', fencingToken: grant.fencingToken });
    expect(await run(ORDERS, 'rwlocks.list', { prefix: 'd' })).toHaveLength(1);
    const token = String(grant.fencingToken);
    expect(await run(ORDERS, 'rwlocks.check', { name: 'doc', token })).toEqual({ valid: true });
    expect(await run(ORDERS, 'rwlocks.release', { name: 'doc', leaseId })).toEqual({ status: 'released' });
    expect(await run(ORDERS, 'rwlocks.check', { name: 'doc', token })).toEqual({ valid: false });
  });

  it('refuses a missing or unknown mode, and an upgrade with MODE_CONFLICT naming the field', async () => {
    const leaseId = await leaseOf(ORDERS);
    const acquire = (mode: unknown) => run(ORDERS, 'rwlocks.acquire', { name: 'm', leaseId, mode });
    await expect(acquire(undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'mode' });
    await expect(acquire('exclusive')).rejects.toThrow(/mode: must be "read" or "write"/);
    await acquire('read');
    await expect(acquire('write')).rejects.toMatchObject({ code: 'MODE_CONFLICT', field: 'mode' });
  });

  it("answers another app's read/write lock exactly as a missing one; fences name it in scope", async () => {
    const leaseId = await leaseOf(ORDERS);
    const grant = await run(ORDERS, 'rwlocks.acquire', { name: 'mine', leaseId, mode: 'write' });
    const token = String(grant.fencingToken);
    const other = run(BILLING, 'rwlocks.describe', { name: 'mine' });
    await expect(other).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'name: no read/write lock mine',
    });
    expect(await run(BILLING, 'rwlocks.check', { name: 'mine', token })).toEqual({ valid: false });
    expect(await run(BILLING, 'rwlocks.release', { name: 'mine', leaseId })).toEqual({ status: 'not_held' });
    const fence = { rwlock: 'mine', token: grant.fencingToken };
    await run(ORDERS, 'kv.put', { key: 'row', value: 'v', fence });
    await expect(run(BILLING, 'kv.put', { key: 'row', value: 'v', fence })).rejects.toMatchObject({
      code: 'FENCED',
    });
  });

  it("labels its events kind 'rwlock' with the mode", async () => {
    const seen: unknown[] = [];
    const stop = service.watch.subscribe(ORDERS, 'mem', 'watched', undefined, (e) =>
      seen.push([e.type, e.key, e.kind, e.mode]),
    );
    const leaseId = await leaseOf(ORDERS);
    await run(ORDERS, 'rwlocks.acquire', { name: 'watched', leaseId, mode: 'read' });
    await new Promise((resolve) => setImmediate(resolve));
    stop();
    expect(seen).toEqual([['permit.acquired', 'watched', 'rwlock', 'read']]);
  });

  it('answers NOT_SUPPORTED on a store without read/write locks, naming the store and why', async () => {
    const leaseId = await leaseOf(ORDERS);
    const refused = run(ORDERS, 'rwlocks.acquire', { name: 'x', leaseId, mode: 'read' }, 'plain');
    await expect(refused).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: 'store: plain has no rwlocks: not yet',
    });
  });
});
