import { describe, expect, it } from 'vitest';
import { LeaseLostError, RwLockHandle } from '../src/index.js';
import { useSetup } from './support/setups.js';

describe.each(['stream', 'http', 'inProcess'] as const)('client.rwlocks over %s', (name) => {
  const client = useSetup(name);
  const unique = (label: string) => `${name}-${label}-${Math.random().toString(36).slice(2)}`;
  const tick = () => new Promise((r) => setTimeout(r, 10));

  it('readers share as handles, a writer is refused, and await using releases', async () => {
    const c = client();
    const doc = unique('doc');
    const [a, b, w] = await Promise.all([1, 2, 3].map(() => c.leases.grant({ ttlMs: 30_000 })));
    let token: number | undefined;
    {
      await using r1 = await c.rwlocks.acquire(doc, { lease: a!, mode: 'read' });
      await using r2 = await c.rwlocks.acquire(doc, { lease: b!, mode: 'read' });
      expect(r1).toBeInstanceOf(RwLockHandle);
      expect([r1.mode, r2.mode]).toEqual(['read', 'read']);
      token = r1.fencingToken;
      const refused = await c.rwlocks.tryAcquire(doc, { lease: w!, mode: 'write' });
      expect(refused).toMatchObject({ acquired: false, heldAs: 'read', waiters: 0 });
      const described = await c.rwlocks.describe(doc);
      expect(described).toMatchObject({ name: doc, mode: 'read', waiters: 0 });
      expect(described.holders).toHaveLength(2);
      expect(await c.rwlocks.check(doc, token!)).toBe(true);
      expect((await c.rwlocks.list({ prefix: doc })).map((l) => l.name)).toEqual([doc]);
    }
    expect(await c.rwlocks.check(doc, token!)).toBe(false);
    for (const lease of [a, b, w]) await c.leases.revoke(lease!);
  });

  it('downgrade() gives a new read token, voids the write token and keeps a queued writer out', async () => {
    const c = client();
    const doc = unique('down');
    const [a, b] = await Promise.all([1, 2].map(() => c.leases.grant({ ttlMs: 30_000 })));
    const write = await c.rwlocks.acquire(doc, { lease: a!, mode: 'write' });
    const writeToken = write.fencingToken!;
    const queued = c.rwlocks.acquire(doc, { lease: b!, mode: 'write', waitMs: 10_000 });
    while ((await c.rwlocks.describe(doc)).waiters === 0) await tick();
    const readToken = await write.downgrade();
    expect(readToken).toBeGreaterThan(writeToken);
    expect([write.mode, write.fencingToken]).toEqual(['read', readToken]);
    expect(await c.rwlocks.check(doc, writeToken)).toBe(false);
    await expect(
      c.kv.put(unique('k'), 'v', { fence: { rwlock: doc, token: writeToken } }),
    ).rejects.toMatchObject({
      errorCode: 'FENCED',
    });
    await c.kv.put(unique('k'), 'v', { fence: { rwlock: doc, token: readToken } });
    expect((await c.rwlocks.describe(doc)).mode).toBe('read');
    await write.release();
    expect((await queued).mode).toBe('write');
    for (const lease of [a, b]) await c.leases.revoke(lease!);
  });

  it('an upgrade answers MODE_CONFLICT at once', async () => {
    const c = client();
    const doc = unique('up');
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    await c.rwlocks.acquire(doc, { lease, mode: 'read' });
    await expect(c.rwlocks.acquire(doc, { lease, mode: 'write', waitMs: 10_000 })).rejects.toMatchObject({
      errorCode: 'MODE_CONFLICT',
    });
    await c.leases.revoke(lease);
  });

  it('withRwLock runs the routine holding the lock, then releases and revokes', async () => {
    const c = client();
    const doc = unique('with');
    const token = await c.withRwLock(doc, { mode: 'write', ttlMs: 5_000 }, async ({ lock, fencingToken }) => {
      expect((await c.rwlocks.describe(doc)).mode).toBe('write');
      expect(lock.mode).toBe('write');
      return fencingToken;
    });
    expect(await c.rwlocks.check(doc, token)).toBe(false);
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    await c.rwlocks.acquire(doc, { lease, mode: 'read' });
    await expect(c.withRwLock(doc, { mode: 'write', ttlMs: 5_000 }, () => 'ran')).rejects.toMatchObject({
      errorCode: 'LOCK_NOT_ACQUIRED',
    });
    expect(await c.withRwLock(doc, { mode: 'read', ttlMs: 5_000 }, () => 'shared')).toBe('shared');
    await c.leases.revoke(lease);
  });

  it("a read/write lock handle's signal fires when its lease is lost", async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    const lock = await c.rwlocks.acquire(unique('lost'), { lease, mode: 'write' });
    lease.markLost('test');
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).toBeInstanceOf(LeaseLostError);
  });
});
