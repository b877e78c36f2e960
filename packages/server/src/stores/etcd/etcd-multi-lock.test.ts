import assert from 'node:assert/strict';
import type { AcquireAllResult, Store } from '@leasehold/core';
import { beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { within } from '@leasehold/core/conformance';
import { etcdPair, until } from '../../../test/support/etcd-pair.js';

const ROUNDS = 100;

function tokensOf(result: AcquireAllResult): Readonly<Record<string, number>> {
  assert.ok(result.acquired, `expected every lock, got ${JSON.stringify(result)}`);
  return result.fencingTokens;
}

describeWithBackend('etcd', 'lock.etcd multi-locks shared by two servers on one cluster', (binary) => {
  const stores = etcdPair(binary);
  let a: Store;
  let b: Store;
  beforeAll(() => ({ a, b } = stores));

  const lease = async (store: Store) => (await store.leases.grant({ app: 'test', ttlMs: 60_000 })).id;

  it(`reversed-order multi-locks from both servers all finish, ${ROUNDS} times over, never together`, async () => {
    const keys = ['multi/x', 'multi/y', 'multi/z'];
    const [onA, onB] = [await lease(a), await lease(b)];
    let holding = 0;
    const last: Record<string, number> = {};
    const cycle = async (store: Store, leaseId: string, order: readonly string[]) => {
      const granted = tokensOf(
        await store.multiLock!.acquireAll({ app: 'test', keys: order, leaseId, waitMs: 10_000 }),
      );
      holding++;
      assert.equal(holding, 1, 'both servers granted overlapping multi-locks at once');
      for (const key of keys) {
        assert.ok(granted[key]! > (last[key] ?? 0), `token of ${key} did not rise`);
        last[key] = granted[key]!;
      }
      assert.equal(new Set(Object.values(granted)).size, 1, 'one grant, one revision, one token');
      // Between the grant's reply and the release's request the locks are surely held.
      await new Promise((resolve) => setTimeout(resolve, 1));
      holding--;
      const statuses = await store.multiLock!.releaseAll(order, leaseId, 'test');
      assert.deepEqual(Object.values(statuses), ['released', 'released', 'released']);
    };
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const forward = round % 2 === 0 ? keys : [...keys].reverse();
      const backward = [...forward].reverse();
      await within(5_000, `round ${round}`, Promise.all([cycle(a, onA, forward), cycle(b, onB, backward)]));
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    for (const key of keys) expect((await b.locks.describe(key)).held).toBe(false);
  }, 90_000);

  it('a single waiter on one server waits behind a composite queued on the other, even on a free name', async () => {
    const [x, y] = ['multi/fifo-x', 'multi/fifo-y'];
    const holder = await lease(a);
    expect((await a.locks.acquire({ app: 'test', key: y, leaseId: holder })).acquired).toBe(true);
    const composite = await lease(a);
    let compositeDone = false;
    const waiting = a
      .multiLock!.acquireAll({ app: 'test', keys: [x, y], leaseId: composite, waitMs: 10_000 })
      .finally(() => (compositeDone = true));
    await until(async () => (await b.locks.describe(x)).waiters === 1);
    expect((await b.locks.describe(x)).held).toBe(false);
    const single = await lease(b);
    let singleDone = false;
    const later = b.locks
      .acquire({ app: 'test', key: x, leaseId: single, waitMs: 10_000 })
      .finally(() => (singleDone = true));
    await until(async () => (await a.locks.describe(x)).waiters === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([compositeDone, singleDone]).toEqual([false, false]);
    await a.locks.release(y, holder, 'test');
    const granted = tokensOf(await waiting);
    expect(singleDone).toBe(false);
    await a.multiLock!.releaseAll([x, y], composite, 'test');
    const handed = await later;
    expect(handed.acquired && handed.fencingToken > granted[x]!).toBe(true);
  });

  it('a composite waiting on one server whose lease is revoked on the other leaves every queue', async () => {
    const [x, y] = ['multi/rv-x', 'multi/rv-y'];
    const holder = await lease(b);
    expect((await b.locks.acquire({ app: 'test', key: x, leaseId: holder })).acquired).toBe(true);
    const composite = await lease(a);
    const failed = a
      .multiLock!.acquireAll({ app: 'test', keys: [x, y], leaseId: composite, waitMs: 10_000 })
      .catch((error: unknown) => error);
    await until(async () => (await b.locks.describe(y)).waiters === 1);
    await b.leases.revoke(composite, 'test');
    expect(await failed).toMatchObject({ code: 'LEASE_NOT_FOUND' });
    for (const key of [x, y]) expect((await a.locks.describe(key)).waiters).toBe(0);
    expect((await a.locks.describe(y)).held).toBe(false);
  });
});
