import assert from 'node:assert/strict';
import type { PermitAcquireResult, Store } from '@leasehold/core';
import { beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { etcdPair, until } from '../../../test/support/etcd-pair.js';

const CLIENTS = 12;
const ROUNDS = 5;
const LIMIT = 3;

function tokenOf(result: PermitAcquireResult): number {
  assert.ok(result.acquired, `expected a grant, got ${JSON.stringify(result)}`);
  return result.fencingToken;
}

describeWithBackend('etcd', 'lock.etcd semaphores shared by two servers on one cluster', (binary) => {
  const stores = etcdPair(binary);
  let a: Store;
  let b: Store;
  beforeAll(() => ({ a, b } = stores));

  const lease = async (store: Store, ttlMs = 60_000) => (await store.leases.grant({ app: 'test', ttlMs })).id;
  const waiters = async (store: Store, key: string) => (await store.semaphores!.describe(key))?.waiters ?? 0;

  it('a release on one server hands off, in FIFO order, to waiters on both', async () => {
    const key = 'sem/handoff';
    const holder = await lease(a);
    const first = tokenOf(
      await a.semaphores!.acquire({ app: 'test', key, leaseId: holder, limit: 2, permits: 2 }),
    );
    const order: string[] = [];
    const wait = async (store: Store, label: string, permits: number) => {
      const leaseId = await lease(store);
      const before = await waiters(store, key);
      const args = { app: 'test', key, leaseId, permits, waitMs: 10_000 };
      const granted = store.semaphores!.acquire(args).then((r) => (order.push(label), tokenOf(r)));
      await until(async () => (await waiters(store, key)) > before);
      return { granted };
    };
    const { granted: onB } = await wait(b, 'b', 2);
    const { granted: onA } = await wait(a, 'a', 1);
    expect(await waiters(a, key)).toBe(2);
    await a.semaphores!.release(key, holder, 'test');
    const handed = await onB;
    expect(handed).toBeGreaterThan(first);
    expect(order).toEqual(['b']);
    expect((await a.semaphores!.describe(key))?.used).toBe(2);
    const info = await b.semaphores!.describe(key);
    await b.semaphores!.release(key, info!.holders[0]!.leaseId, 'test');
    expect(await onA).toBeGreaterThan(handed);
    expect(order).toEqual(['b', 'a']);
  });

  it('a lease that expires while holding frees its permits for a waiter on the other server', async () => {
    const key = 'sem/expiry';
    const short = await lease(a, 2_000);
    tokenOf(await a.semaphores!.acquire({ app: 'test', key, leaseId: short, limit: 1, permits: 1 }));
    const waiter = await lease(b);
    const started = Date.now();
    const args = { app: 'test', key, leaseId: waiter, permits: 1, waitMs: 10_000 };
    tokenOf(await b.semaphores!.acquire(args));
    expect(Date.now() - started).toBeLessThan(6_000);
    expect((await a.semaphores!.describe(key))?.holders.map((h) => h.leaseId)).toEqual([waiter]);
  });

  it('a fence naming a tagged semaphore key (as the service scopes it) holds only while the grant does', async () => {
    const key = 'sem||test||fenced';
    const holder = await lease(a);
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
    const key = 'sem/sum';
    let inUse = 0;
    let peak = 0;
    const tokens = new Set<number>();
    const client = async (i: number) => {
      const store = i % 2 === 0 ? a : b;
      for (let round = 0; round < ROUNDS; round++) {
        const leaseId = await lease(store);
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
});
