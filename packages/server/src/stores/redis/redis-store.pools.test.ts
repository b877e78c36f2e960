import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { RwLockMode, Store } from '@leasehold/core';
import { expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { redisPair } from '../../../test/support/redis-pair.js';
import {
  testLease,
  tokenOf,
  twoServerSemaphoreCases,
  until,
} from '../../../test/support/two-server-pools.js';

describeWithBackend('redis-server', 'lock.redis semaphores and RW locks shared by two servers', (binary) => {
  const stores = redisPair(binary);

  twoServerSemaphoreCases(() => [stores().a, stores().b], { ttlMs: 500, withinMs: 2_000 });

  it('the permits gauge follows a grant and its revoke; a fence of the revoked grant is refused naming the semaphore', async () => {
    const { a, b } = stores();
    const key = 'sem||test||gauge';
    const before = (await a.stats!()).permits ?? 0;
    const holder = await testLease(a);
    const token = tokenOf(
      await a.semaphores!.acquire({ app: 'test', key, leaseId: holder, limit: 3, permits: 2 }),
    );
    expect((await b.stats!()).permits).toBe(before + 2);
    await a.leases.revoke(holder, 'test');
    expect((await b.stats!()).permits).toBe(before);
    const put = b.kv!.put({ key: 'kv||test||g', value: 'x', fence: { key, token }, app: 'test' });
    await expect(put).rejects.toMatchObject({
      code: 'FENCED',
      message: expect.stringContaining('semaphore'),
    });
  });

  it('a read/write lock across servers: a writer excludes everyone, readers share, FIFO hand-off', async () => {
    const { a, b } = stores();
    const key = 'rw/shared';
    const held = { read: 0, write: 0 };
    let sharedPeak = 0;
    const client = async (i: number) => {
      const store = i % 2 === 0 ? a : b;
      const leaseId = await testLease(store);
      for (let round = 0; round < 4; round++) {
        const mode: RwLockMode = (i + round) % 3 === 0 ? 'write' : 'read';
        tokenOf(await store.rwlocks!.acquire({ app: 'test', key, leaseId, mode, waitMs: 20_000 }));
        held[mode]++;
        sharedPeak = Math.max(sharedPeak, held.read);
        assert.ok(
          held.write <= 1 && (held.write === 0 || held.read === 0),
          `overlap: ${JSON.stringify(held)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 2 + (i % 3)));
        held[mode]--;
        expect(await store.rwlocks!.release(key, leaseId, 'test')).toBe('released');
      }
      await store.leases.revoke(leaseId, 'test');
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => client(i)));
    expect(sharedPeak).toBeGreaterThan(1);
    expect(await b.rwlocks!.describe(key)).toBeUndefined();
  }, 60_000);

  it('a writer on one server waits for readers on both, and readers queued behind it wait for it', async () => {
    const { a, b } = stores();
    const key = 'rw/fifo';
    const r1 = await testLease(a);
    const r2 = await testLease(b);
    const t1 = tokenOf(await a.rwlocks!.acquire({ app: 'test', key, leaseId: r1, mode: 'read' }));
    tokenOf(await b.rwlocks!.acquire({ app: 'test', key, leaseId: r2, mode: 'read' }));
    const order: string[] = [];
    const queued = async (store: Store, label: string, mode: RwLockMode) => {
      const leaseId = await testLease(store);
      const before = (await store.rwlocks!.describe(key))?.waiters ?? 0;
      const args = { app: 'test', key, leaseId, mode, waitMs: 10_000 };
      const granted = store.rwlocks!.acquire(args).then((r) => (order.push(label), tokenOf(r)));
      await until(async () => ((await store.rwlocks!.describe(key))?.waiters ?? 0) > before);
      return { leaseId, granted };
    };
    const w = await queued(a, 'w', 'write');
    const r3 = await queued(b, 'r3', 'read');
    const r4 = await queued(a, 'r4', 'read');
    await a.rwlocks!.release(key, r1, 'test');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual([]);
    await b.rwlocks!.release(key, r2, 'test');
    const wt = await w.granted;
    expect(wt).toBeGreaterThan(t1);
    expect(order).toEqual(['w']);
    expect((await b.rwlocks!.describe(key))?.mode).toBe('write');
    await a.rwlocks!.release(key, w.leaseId, 'test');
    const [t3, t4] = await Promise.all([r3.granted, r4.granted]);
    expect(Math.min(t3, t4)).toBeGreaterThan(wt);
    const info = await a.rwlocks!.describe(key);
    expect(info?.holders.map((h) => h.mode)).toEqual(['read', 'read']);
    expect(await b.rwlocks!.check(key, wt)).toBe(false);
  });

  it('a queued request for more permits than a lowered limit ends LIMIT_MISMATCH at the head', async () => {
    const { a, b } = stores();
    const key = 'sem/lowered';
    const holder = await testLease(a);
    const held = tokenOf(
      await a.semaphores!.acquire({ app: 'test', key, leaseId: holder, limit: 3, permits: 3 }),
    );
    const big = await testLease(b);
    const queued = b.semaphores!.acquire({ app: 'test', key, leaseId: big, permits: 3, waitMs: 10_000 });
    const failed = queued.catch((error: unknown) => error);
    await until(async () => (await a.semaphores!.describe(key))?.waiters === 1);
    // The head now asks more than the limit can ever give: answered in the resizing script.
    await a.semaphores!.setLimit(key, 2);
    expect(await failed).toMatchObject({ code: 'LIMIT_MISMATCH', field: 'permits' });
    expect(await a.semaphores!.check(key, held), 'lowering revoked the grant').toBe(true);
    expect((await a.semaphores!.describe(key))?.waiters).toBe(0);
  });

  it('a lease queued twice is granted once: its second acquire answers the same grant', async () => {
    const { a, b } = stores();
    const key = 'sem/twice';
    const holder = await testLease(a);
    tokenOf(await a.semaphores!.acquire({ app: 'test', key, leaseId: holder, limit: 1, permits: 1 }));
    const twice = await testLease(b);
    const args = { app: 'test', key, leaseId: twice, permits: 1, waitMs: 10_000 };
    const first = b.semaphores!.acquire(args);
    await until(async () => (await a.semaphores!.describe(key))?.waiters === 1);
    const second = a.semaphores!.acquire(args);
    await until(async () => (await a.semaphores!.describe(key))?.waiters === 2);
    await a.semaphores!.release(key, holder, 'test');
    const [one, two] = await Promise.all([first, second]);
    expect(two).toEqual(one);
    expect((await a.semaphores!.describe(key))?.used).toBe(1);
  });

  it('a permit grant published while the subscriber was disconnected still reaches its waiter', async () => {
    const { a, b, server } = stores();
    const raw = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      const key = 'sem/lost';
      const holder = await testLease(a);
      tokenOf(await a.semaphores!.acquire({ app: 'test', key, leaseId: holder, limit: 1, permits: 1 }));
      const waiter = await testLease(b);
      const started = performance.now();
      const waiting = b.semaphores!.acquire({ app: 'test', key, leaseId: waiter, permits: 1, waitMs: 5_000 });
      await until(async () => (await a.semaphores!.describe(key))?.waiters === 1);
      // Drop every subscriber connection, then release before they are back: the message is lost.
      await raw.client('KILL', 'TYPE', 'pubsub');
      expect(await a.semaphores!.release(key, holder, 'test')).toBe('released');
      tokenOf(await waiting);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect((await b.semaphores!.describe(key))?.holders.map((h) => h.leaseId)).toEqual([waiter]);
    } finally {
      raw.disconnect();
    }
  });
});
