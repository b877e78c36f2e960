import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FencedError, LeaseLostError, LockNotAcquiredError } from '../src/index.js';
import type { WatchEvent } from '../src/index.js';
import { useSetup } from './support/setups.js';

describe.each(['stream', 'http', 'inProcess'] as const)('the SDK over %s', (name) => {
  const client = useSetup(name);

  it('hands lock:job:1 to a second client only after the first revokes, with a larger token', async () => {
    const [a, b] = [client(), client()];
    const leaseA = await a.leases.grant({ ttlMs: 10_000 });
    const first = await a.locks.acquire('lock:job:1', { lease: leaseA });
    expect(first.acquired).toBe(true);

    const leaseB = await b.leases.grant({ ttlMs: 10_000 });
    const refused = await b.locks.tryAcquire('lock:job:1', { lease: leaseB });
    expect(refused.acquired).toBe(false);
    expect(refused.holder?.leaseId).toBe(leaseA.id);

    const waiting = b.locks.acquire('lock:job:1', { lease: leaseB, waitMs: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect((await a.locks.describe('lock:job:1')).waiters).toBe(1);
    expect((await a.leases.revoke(leaseA)).revoked).toBe(true);

    const second = await waiting;
    expect(second.acquired).toBe(true);
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken!);
    await leaseB.revoke();
  });

  it('fences writes with the lock handle and rejects a stale token', async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    const lock = await c.locks.acquire('lock:fence', { lease });
    await c.kv.put('job:1', 'processing', { fence: lock });
    expect((await c.kv.get('job:1')).value).toBe('processing');
    await lock.release();
    await expect(c.kv.put('job:1', 'late', { fence: lock })).rejects.toBeInstanceOf(FencedError);
    expect(await c.counters.add('jobs', 2)).toBe(2);
    expect(await c.counters.get('jobs')).toBe(2);
    await lease.revoke();
  });

  it('releases the lock at the end of an `await using` block', async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    {
      await using lock = await c.locks.acquire('lock:scoped', { lease });
      expect(lock.acquired).toBe(true);
      expect((await c.locks.describe('lock:scoped')).held).toBe(true);
    }
    expect((await c.locks.describe('lock:scoped')).held).toBe(false);
    await lease.revoke();
  });

  it('withLock runs the routine under the lock, then releases and revokes', async () => {
    const c = client();
    let seen: { token: number; leaseId: string } | undefined;
    const result = await c.withLock(
      'lock:with',
      { ttlMs: 3_000 },
      async ({ signal, fencingToken, lease }) => {
        expect(signal.aborted).toBe(false);
        seen = { token: fencingToken, leaseId: lease.id };
        expect((await c.locks.describe('lock:with')).leaseId).toBe(lease.id);
        return 42;
      },
    );
    expect(result).toBe(42);
    expect((await c.locks.describe('lock:with')).held).toBe(false);
    await expect(c.leases.get(seen!.leaseId)).rejects.toMatchObject({ errorCode: 'LEASE_NOT_FOUND' });
  });

  it('withLock throws LockNotAcquiredError when the lock stays held', async () => {
    const [a, b] = [client(), client()];
    const lease = await a.leases.grant({ ttlMs: 5_000 });
    await a.locks.acquire('lock:busy', { lease });
    await expect(b.withLock('lock:busy', { ttlMs: 1_000, waitMs: 100 }, () => 1)).rejects.toBeInstanceOf(
      LockNotAcquiredError,
    );
    await lease.revoke();
  });

  it('withLock aborts the signal when maxHoldMs is reached, and rejects with its reason', async () => {
    const c = client();
    let seen: unknown;
    const outcome = c.withLock('lock:capped', { ttlMs: 1_000, maxHoldMs: 300 }, ({ signal }) => {
      return new Promise<string>((resolve) =>
        signal.addEventListener('abort', () => {
          seen = signal.reason;
          resolve('a result produced after the lock was gone');
        }),
      );
    });
    await expect(outcome).rejects.toThrow(/maxHoldMs 300 reached/);
    expect(seen).toBeInstanceOf(LeaseLostError);
    // The lock is let go in the background, well within the TTL.
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    const again = await c.locks.acquire('lock:capped', { lease, waitMs: 1_000 });
    expect(again.acquired).toBe(true);
    await lease.revoke();
  });

  it('withLock with maxHoldMs still aborts the signal when the lease is lost first', async () => {
    const c = client();
    const outcome = c.withLock(
      'lock:capped-lost',
      { ttlMs: 5_000, maxHoldMs: 4_000 },
      ({ signal, lease }) => {
        lease.markLost('judged lost by the test');
        return signal.reason as unknown;
      },
    );
    await expect(outcome).rejects.toThrow(/judged lost by the test/);
  });

  it.each([300, 500])('keeps a %i ms lease alive well past its TTL', async (ttlMs) => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs });
    await new Promise((r) => setTimeout(r, ttlMs * 3));
    expect(lease.lost).toBe(false);
    expect((await c.leases.get(lease.id)).id).toBe(lease.id);
    await lease.revoke();
  });

  it('watches lock and key changes under a prefix', async () => {
    const c = client();
    const events: WatchEvent[] = [];
    const stop = c.watch('w/', (event) => events.push(event));
    await new Promise((r) => setTimeout(r, 100));
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    const lock = await c.locks.acquire('w/lock', { lease });
    await c.kv.put('w/key', 'v1');
    await c.kv.put('elsewhere', 'ignored');
    await lock.release();
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual([
      'lock.acquired w/lock',
      'put w/key',
      'lock.released w/lock',
    ]);
    expect(events[0]!.fencingToken).toBe(lock.fencingToken);
    await lease.revoke();
  });

  it('reports a lease revoked elsewhere as lost, aborting its signal', async () => {
    const [holder, admin] = [client(), client()];
    const lease = await holder.leases.grant({ ttlMs: 600 });
    const lost = new Promise<unknown>((resolve) => lease.onLost(resolve));
    const revokedAt = performance.now();
    await admin.leases.revoke(lease.id);
    expect(await lost).toBeInstanceOf(LeaseLostError);
    expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
    // Noticed at the next renewal: within a third of the TTL, not at its end.
    expect(performance.now() - revokedAt).toBeLessThan(450);
  });

  it('abandons a wait when its signal aborts, leaving the queue', async () => {
    const [a, b] = [client(), client()];
    const holder = await a.leases.grant({ ttlMs: 5_000 });
    await a.locks.acquire('lock:abort', { lease: holder });
    const waiter = await b.leases.grant({ ttlMs: 5_000 });
    const controller = new AbortController();
    const waiting = b.locks.acquire('lock:abort', {
      lease: waiter,
      waitMs: 5_000,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 50));
    expect((await a.locks.describe('lock:abort')).waiters).toBe(1);
    controller.abort(new Error('changed my mind'));
    await expect(waiting).rejects.toThrow('changed my mind');
    await new Promise((r) => setTimeout(r, 50));
    expect((await a.locks.describe('lock:abort')).waiters).toBe(0);
    await Promise.all([holder.revoke(), waiter.revoke()]);
  });

  it('abandons a wait when its lease is lost, rejecting with LeaseLostError', async () => {
    const [a, b] = [client(), client()];
    const holder = await a.leases.grant({ ttlMs: 5_000 });
    await a.locks.acquire('lock:lost-wait', { lease: holder });
    const waiter = await b.leases.grant({ ttlMs: 5_000 });
    const waiting = b.locks.acquire('lock:lost-wait', { lease: waiter, waitMs: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect((await a.locks.describe('lock:lost-wait')).waiters).toBe(1);
    waiter.markLost('judged lost by the test');
    await expect(waiting).rejects.toBeInstanceOf(LeaseLostError);
    await new Promise((r) => setTimeout(r, 50));
    expect((await a.locks.describe('lock:lost-wait')).waiters).toBe(0);
    await Promise.all([holder.revoke(), b.leases.revoke(waiter.id)]);
  });

  it('keeps at most one abort listener on a lease, however many calls it made', async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    const shared = new AbortController();
    for (let i = 0; i < 50; i++) {
      const lock = await c.locks.tryAcquire('lock:listeners', { lease });
      await lock.release();
      await (
        await c.locks.acquire('lock:listeners', { lease, waitMs: 100, signal: shared.signal })
      ).release();
    }
    expect(getEventListeners(lease.signal, 'abort').length).toBeLessThanOrEqual(1);
    expect(getEventListeners(shared.signal, 'abort').length).toBeLessThanOrEqual(1);
    await lease.revoke();
  });

  it('names the field of bad input', async () => {
    const c = client();
    await expect(c.leases.grant({ ttlMs: -1 })).rejects.toThrow(/ttlMs/);
    // Long enough that a loaded machine cannot let the lease lapse, so the names are what is judged.
    const lease = await c.leases.grant({ ttlMs: 30_000 });
    await expect(c.locks.acquire('', { lease })).rejects.toThrow(/name/);
    await expect(c.locks.acquire('x||y', { lease })).rejects.toMatchObject({ errorCode: 'INVALID_ARGUMENT' });
    await lease.revoke();
  });
});
