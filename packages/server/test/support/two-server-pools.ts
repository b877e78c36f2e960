import assert from 'node:assert/strict';
import type { PermitAcquireResult, RwLockAcquireResult, Store } from '@leasehold/core';
import { expect, it } from 'vitest';
import { until } from './etcd-pair.js';

export { until };

const CLIENTS = 12;
const ROUNDS = 5;
const LIMIT = 3;

/** The fencing token of a grant; fails the test when nothing was granted. */
export function tokenOf(result: PermitAcquireResult | RwLockAcquireResult): number {
  assert.ok(result.acquired, `expected a grant, got ${JSON.stringify(result)}`);
  return result.fencingToken;
}

/** A lease of `ttlMs` on `store`, app 'test'. */
export async function testLease(store: Store, ttlMs = 60_000): Promise<string> {
  return (await store.leases.grant({ app: 'test', ttlMs })).id;
}

/**
 * Semaphore cases for two stores (two servers) on one backend: FIFO hand-off across them, expiry
 * freeing permits for the other server's waiter (a lease of `expiry.ttlMs`, granted within
 * `expiry.withinMs`), a fence across servers, and Σ permits ≤ limit in a recorded concurrent history.
 */
export function twoServerSemaphoreCases(
  stores: () => readonly [Store, Store],
  expiry: { readonly ttlMs: number; readonly withinMs: number },
): void {
  const waiters = async (store: Store, key: string) => (await store.semaphores!.describe(key))?.waiters ?? 0;

  it('a release on one server hands off, in FIFO order, to waiters on both', async () => {
    const [a, b] = stores();
    const key = 'sem/handoff';
    const holder = await testLease(a);
    const first = tokenOf(
      await a.semaphores!.acquire({ app: 'test', key, leaseId: holder, limit: 2, permits: 2 }),
    );
    const order: string[] = [];
    const wait = async (store: Store, label: string, permits: number) => {
      const leaseId = await testLease(store);
      const before = await waiters(store, key);
      const args = { app: 'test', key, leaseId, permits, waitMs: 10_000 };
      const granted = store.semaphores!.acquire(args).then((r) => (order.push(label), tokenOf(r)));
      await until(async () => (await waiters(store, key)) > before);
      return { leaseId, granted };
    };
    const onB = await wait(b, 'b', 2);
    const onA = await wait(a, 'a', 1);
    expect(await waiters(a, key)).toBe(2);
    await a.semaphores!.release(key, holder, 'test');
    const handed = await onB.granted;
    expect(handed).toBeGreaterThan(first);
    expect(order).toEqual(['b']);
    expect((await a.semaphores!.describe(key))?.used).toBe(2);
    await b.semaphores!.release(key, onB.leaseId, 'test');
    expect(await onA.granted).toBeGreaterThan(handed);
    expect(order).toEqual(['b', 'a']);
  });

  it('a lease that expires while holding frees its permits for a waiter on the other server', async () => {
    const [a, b] = stores();
    const key = 'sem/expiry';
    const short = await testLease(a, expiry.ttlMs);
    tokenOf(await a.semaphores!.acquire({ app: 'test', key, leaseId: short, limit: 1, permits: 1 }));
    const waiter = await testLease(b);
    const started = Date.now();
    tokenOf(await b.semaphores!.acquire({ app: 'test', key, leaseId: waiter, permits: 1, waitMs: 10_000 }));
    expect(Date.now() - started).toBeLessThan(expiry.withinMs);
    expect((await a.semaphores!.describe(key))?.holders.map((h) => h.leaseId)).toEqual([waiter]);
  });

  it('a fence naming a tagged semaphore key (as the service scopes it) holds only while the grant does', async () => {
    const [a, b] = stores();
    const key = 'sem||test||fenced';
    const holder = await testLease(a);
    const token = tokenOf(
      await a.semaphores!.acquire({ app: 'test', key, leaseId: holder, limit: 2, permits: 1 }),
    );
    const put = (value: string) =>
      b.kv!.put({ key: 'kv||test||v', value, fence: { key, token }, app: 'test' });
    await put('1');
    await a.semaphores!.release(key, holder, 'test');
    await expect(put('2')).rejects.toMatchObject({ code: 'FENCED' });
    expect((await b.kv!.get('kv||test||v'))?.value).toBe('1');
  });

  it(`Σ permits never exceed the limit with ${CLIENTS} clients split over both servers`, async () => {
    const [a, b] = stores();
    const key = 'sem/sum';
    let inUse = 0;
    let peak = 0;
    const tokens = new Set<number>();
    const client = async (i: number) => {
      const store = i % 2 === 0 ? a : b;
      for (let round = 0; round < ROUNDS; round++) {
        const leaseId = await testLease(store);
        const permits = 1 + ((i + round) % 2);
        const args = { app: 'test', key, leaseId, limit: LIMIT, permits, waitMs: 20_000 };
        const token = tokenOf(await store.semaphores!.acquire(args));
        assert.ok(!tokens.has(token), `token ${token} granted twice`);
        tokens.add(token);
        // Between the grant's reply and the release's request the permits are surely held.
        inUse += permits;
        peak = Math.max(peak, inUse);
        assert.ok(inUse <= LIMIT, `${inUse} permits held at once, limit ${LIMIT}`);
        await new Promise((resolve) => setTimeout(resolve, i % 5));
        inUse -= permits;
        // Every other round lets the lease's revoke free the permits instead of a release.
        if (round % 2 === 0) await store.semaphores!.release(key, leaseId, 'test');
        await store.leases.revoke(leaseId, 'test');
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    expect(peak).toBeGreaterThan(1);
    expect(tokens.size).toBe(CLIENTS * ROUNDS);
    expect(await a.semaphores!.describe(key)).toBeUndefined();
  }, 60_000);
}
