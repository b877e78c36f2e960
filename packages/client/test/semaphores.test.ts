import { describe, expect, it } from 'vitest';
import { LeaseLostError, PermitHandle } from '../src/index.js';
import { useSetup } from './support/setups.js';

describe.each(['stream', 'http', 'inProcess'] as const)('client.semaphores over %s', (name) => {
  const client = useSetup(name);
  const unique = (label: string) => `${name}-${label}-${Math.random().toString(36).slice(2)}`;

  it('acquires permits as a handle, describes, checks and releases them with await using', async () => {
    const c = client();
    const sem = unique('api');
    const lease = await c.leases.grant({ ttlMs: 30_000, owner: 'w1' });
    let token: number | undefined;
    {
      await using permit = await c.semaphores.acquire(sem, { lease, limit: 3, permits: 2 });
      expect(permit).toBeInstanceOf(PermitHandle);
      expect(permit).toMatchObject({ acquired: true, permits: 2 });
      token = permit.fencingToken;
      expect(permit.signal.aborted).toBe(false);
      const described = await c.semaphores.describe(sem);
      expect(described).toMatchObject({ name: sem, limit: 3, used: 2, waiters: 0 });
      expect(described.holders).toEqual([
        expect.objectContaining({ leaseId: lease.id, owner: 'w1', permits: 2 }),
      ]);
      expect(await c.semaphores.check(sem, token!)).toBe(true);
      expect((await c.semaphores.list({ prefix: sem })).map((s) => s.name)).toEqual([sem]);
    }
    expect(await c.semaphores.check(sem, token!)).toBe(false);
    await c.leases.revoke(lease);
  });

  it('waits in FIFO order and is handed the permits on release; a try is refused meanwhile', async () => {
    const c = client();
    const sem = unique('fifo');
    const [a, b, d] = await Promise.all([1, 2, 3].map(() => c.leases.grant({ ttlMs: 30_000 })));
    const held = await c.semaphores.acquire(sem, { lease: a!, limit: 1 });
    const waiting = c.semaphores.acquire(sem, { lease: b!, waitMs: 10_000 });
    while ((await c.semaphores.describe(sem)).waiters === 0) await new Promise((r) => setTimeout(r, 10));
    const tried = await c.semaphores.tryAcquire(sem, { lease: d! });
    expect(tried).toMatchObject({ acquired: false, available: 0, waiters: 1 });
    expect(await held.release()).toBe('released');
    expect(await held.release()).toBe('released'); // the same answer: a handle releases once
    const next = await waiting;
    expect(next.acquired).toBe(true);
    expect(next.fencingToken!).toBeGreaterThan(held.fencingToken!);
    for (const lease of [a, b, d]) await c.leases.revoke(lease!);
  });

  it('answers LIMIT_MISMATCH and setLimit resizes', async () => {
    const c = client();
    const sem = unique('lim');
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    await c.semaphores.setLimit(sem, 2);
    await expect(c.semaphores.acquire(sem, { lease, limit: 5 })).rejects.toMatchObject({
      errorCode: 'LIMIT_MISMATCH',
    });
    expect(await c.semaphores.setLimit(sem, 4, { ifLimit: 2 })).toMatchObject({ limit: 4, used: 0 });
    const fenced = await c.semaphores.acquire(sem, { lease, permits: 4 });
    await c.kv.put(unique('k'), 'v', { fence: { semaphore: sem, token: fenced.fencingToken! } });
    await c.leases.revoke(lease);
  });

  it('withPermit runs the routine holding the permits, then releases and revokes', async () => {
    const c = client();
    const sem = unique('with');
    const seen = await c.withPermit(
      sem,
      { ttlMs: 5_000, limit: 2, permits: 2 },
      async ({ permit, fencingToken }) => {
        expect((await c.semaphores.describe(sem)).used).toBe(2);
        return { token: fencingToken, permits: permit.permits };
      },
    );
    expect(seen.permits).toBe(2);
    expect(await c.semaphores.check(sem, seen.token)).toBe(false);
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    await c.semaphores.acquire(sem, { lease, limit: 2, permits: 2 });
    await expect(c.withPermit(sem, { ttlMs: 5_000, limit: 2 }, () => 'ran')).rejects.toMatchObject({
      errorCode: 'LOCK_NOT_ACQUIRED',
    });
    await c.leases.revoke(lease);
  });

  it("a permit handle's signal fires when its lease is lost", async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    const permit = await c.semaphores.acquire(unique('lost'), { lease, limit: 1 });
    lease.markLost('test');
    expect(permit.signal.aborted).toBe(true);
    expect(permit.signal.reason).toBeInstanceOf(LeaseLostError);
  });
});
