import { expect, it } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { redisPair } from '../../../test/support/redis-pair.js';
import { testLease, until } from '../../../test/support/two-server-pools.js';

/** The keys one case uses: a lock, a semaphore (limit 1), and a multi-lock set whose first key is held. */
interface Keys {
  readonly lock: string;
  readonly sem: string;
  readonly set: readonly [string, string];
}

const WAIT_MS = 10_000;

/** One lease's three kinds of wait on `store`, on every key of `k`. */
function waitOnAll(store: Store, leaseId: string, k: Keys) {
  const waits = [
    store.locks.acquire({ app: 'test', key: k.lock, leaseId, waitMs: WAIT_MS }),
    store.semaphores!.acquire({ app: 'test', key: k.sem, leaseId, limit: 1, permits: 1, waitMs: WAIT_MS }),
    store.multiLock!.acquireAll({ app: 'test', keys: k.set, leaseId, waitMs: WAIT_MS }),
  ] as const;
  for (const wait of waits) wait.catch(() => undefined); // read by the test, rejections asserted there
  return waits;
}

/** How many wait in each queue of `k`, as `store` describes them. */
async function queueLengths(store: Store, k: Keys): Promise<number[]> {
  const [lock, sem, set] = await Promise.all([
    store.locks.describe(k.lock),
    store.semaphores!.describe(k.sem),
    store.locks.describe(k.set[0]),
  ]);
  return [lock.waiters, sem?.waiters ?? 0, set.waiters];
}

describeWithBackend(
  'redis-server',
  'lock.redis: a lease ends with lock, permit and multi-lock waits',
  (binary) => {
    const stores = redisPair(binary);

    // Revoke and the reaper share failWaiters / endLeasePools and the hand-off; both paths are run.
    for (const end of ['revoke', 'expiry'] as const) {
      it(`a waiting lease's ${end} fails all three kinds of wait; the holder's ${end} hands each lock, pool and set on`, async () => {
        const { a, b } = stores();
        const k: Keys = {
          lock: `end/${end}/l`,
          sem: `end/${end}/s`,
          set: [`end/${end}/m1`, `end/${end}/m2`],
        };
        const expiring = end === 'expiry';
        const holder = await testLease(a, expiring ? 3_000 : 30_000);
        expect((await a.locks.acquire({ app: 'test', key: k.lock, leaseId: holder })).acquired).toBe(true);
        expect((await a.locks.acquire({ app: 'test', key: k.set[0], leaseId: holder })).acquired).toBe(true);
        const permit = await a.semaphores!.acquire({
          app: 'test',
          key: k.sem,
          leaseId: holder,
          limit: 1,
          permits: 1,
        });
        expect(permit.acquired).toBe(true);

        // The doomed lease (on b) queues first on every key, the next lease (on a) behind it.
        const doomed = await testLease(b, expiring ? 1_500 : 30_000);
        const doomedWaits = waitOnAll(b, doomed, k);
        await until(async () => (await queueLengths(a, k)).every((n) => n === 1), 5_000);
        const next = await testLease(a);
        const nextWaits = waitOnAll(a, next, k);
        await until(async () => (await queueLengths(b, k)).every((n) => n === 2), 5_000);

        if (!expiring) expect(await a.leases.revoke(doomed, 'test')).toBe(true);
        for (const wait of doomedWaits) await expect(wait).rejects.toMatchObject({ code: 'LEASE_NOT_FOUND' });
        expect(await queueLengths(b, k)).toEqual([1, 1, 1]);

        if (!expiring) expect(await b.leases.revoke(holder, 'test')).toBe(true);
        const [lock, permits, set] = await Promise.all(nextWaits);
        expect(lock).toMatchObject({ acquired: true });
        expect(permits).toMatchObject({ acquired: true, permits: 1 });
        expect(set.acquired && Object.keys(set.fencingTokens).sort()).toEqual([...k.set]);
        for (const key of [k.lock, ...k.set])
          expect(await b.locks.describe(key)).toMatchObject({ leaseId: next });
        const sem = await b.semaphores!.describe(k.sem);
        expect(sem?.holders.map((h) => h.leaseId)).toEqual([next]);
        expect(await queueLengths(b, k)).toEqual([0, 0, 0]);
      });
    }
  },
);
