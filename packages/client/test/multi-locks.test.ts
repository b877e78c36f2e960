import { describe, expect, it } from 'vitest';
import { LeaseLostError, MultiLockHandle } from '../src/index.js';
import { useSetup } from './support/setups.js';

describe.each(['stream', 'http', 'inProcess'] as const)('client.locks.acquireAll over %s', (name) => {
  const client = useSetup(name);
  const unique = (label: string) => `${name}-${label}-${Math.random().toString(36).slice(2)}`;
  const tick = () => new Promise((r) => setTimeout(r, 10));

  it('takes every lock as one handle, and await using releases them all', async () => {
    const c = client();
    const [x, y] = [unique('x'), unique('y')];
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    let tokens: Readonly<Record<string, number>> | undefined;
    {
      await using locks = await c.locks.acquireAll([x, y, x], { lease });
      expect(locks).toBeInstanceOf(MultiLockHandle);
      expect(locks.acquired).toBe(true);
      expect(locks.names).toEqual([x, y]);
      tokens = locks.fencingTokens;
      expect(Object.keys(tokens!).sort()).toEqual([x, y].sort());
      expect(await c.locks.check(x, tokens![x]!)).toBe(true);
      expect((await c.locks.describe(y)).leaseId).toBe(lease.id);
    }
    expect(await c.locks.check(x, tokens![x]!)).toBe(false);
    expect((await c.locks.describe(y)).held).toBe(false);
    await lease.revoke();
  });

  it('is refused with the holders when one is held, taking nothing; releaseAll reports per name', async () => {
    const c = client();
    const [x, y] = [unique('x'), unique('y')];
    const [a, b] = await Promise.all([1, 2].map(() => c.leases.grant({ ttlMs: 30_000 })));
    const held = await c.locks.acquire(y, { lease: a! });
    const refused = await c.locks.acquireAll([x, y], { lease: b! });
    expect(refused.acquired).toBe(false);
    expect(refused.fencingTokens).toBeUndefined();
    expect(refused.holders?.[y]).toMatchObject({ leaseId: a!.id, fencingToken: held.fencingToken });
    expect((await c.locks.describe(x)).held).toBe(false);
    expect(await refused.release()).toEqual({ [x]: 'not_held', [y]: 'not_held' });
    expect(await c.locks.releaseAll([x, y], { lease: a! })).toEqual({ [x]: 'not_held', [y]: 'released' });
    for (const lease of [a, b]) await lease!.revoke();
  });

  it('waits holding nothing, then gets the set when the blocker goes; an abort leaves every queue', async () => {
    const c = client();
    const [x, y] = [unique('x'), unique('y')];
    const [a, b, d] = await Promise.all([1, 2, 3].map(() => c.leases.grant({ ttlMs: 30_000 })));
    await c.locks.acquire(y, { lease: a! });
    const abort = new AbortController();
    const aborted = c.locks.acquireAll([x, y], { lease: d!, waitMs: 10_000, signal: abort.signal });
    while ((await c.locks.describe(x)).waiters === 0) await tick();
    abort.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    while ((await c.locks.describe(x)).waiters > 0) await tick();
    const waiting = c.locks.acquireAll([y, x], { lease: b!, waitMs: 10_000 });
    while ((await c.locks.describe(x)).waiters === 0) await tick();
    expect((await c.locks.describe(x)).held).toBe(false);
    await c.locks.release(y, { lease: a! });
    const got = await waiting;
    expect(got.acquired).toBe(true);
    expect((await c.locks.describe(x)).leaseId).toBe(b!.id);
    expect(await got.release()).toEqual({ [y]: 'released', [x]: 'released' });
    for (const lease of [a, b, d]) await lease!.revoke();
  });

  it('names the field of a bad name list, and the server names the limit', async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    await expect(c.locks.acquireAll(['ok', ''], { lease })).rejects.toThrow(/names\[1\]/);
    const many = Array.from({ length: 65 }, (_, i) => unique(`n${i}`));
    await expect(c.locks.acquireAll(many, { lease })).rejects.toMatchObject({
      errorCode: 'INVALID_ARGUMENT',
    });
    await expect(c.locks.acquireAll(many, { lease })).rejects.toThrow(/at most 64/);
    await lease.revoke();
  });

  it("a multi-lock handle's signal fires when its lease is lost", async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    const locks = await c.locks.acquireAll([unique('a'), unique('b')], { lease });
    lease.markLost('test');
    expect(locks.signal.aborted).toBe(true);
    expect(locks.signal.reason).toBeInstanceOf(LeaseLostError);
  });
});
