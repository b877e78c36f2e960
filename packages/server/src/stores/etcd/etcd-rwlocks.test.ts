import assert from 'node:assert/strict';
import type { RwLockAcquireResult, RwLockMode, Store } from '@leasehold/core';
import { beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { etcdPair, until } from '../../../test/support/etcd-pair.js';

const CLIENTS = 10;
const ROUNDS = 5;

function tokenOf(result: RwLockAcquireResult): number {
  assert.ok(result.acquired, `expected a grant, got ${JSON.stringify(result)}`);
  return result.fencingToken;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithBackend('etcd', 'lock.etcd read/write locks shared by two servers on one cluster', (binary) => {
  const stores = etcdPair(binary);
  let a: Store;
  let b: Store;
  beforeAll(() => ({ a, b } = stores));

  const lease = async (store: Store) => (await store.leases.grant({ app: 'test', ttlMs: 60_000 })).id;
  const waiters = async (store: Store, key: string) => (await store.rwlocks!.describe(key))?.waiters ?? 0;
  const take = async (store: Store, key: string, mode: RwLockMode, leaseId?: string) => {
    const id = leaseId ?? (await lease(store));
    return {
      leaseId: id,
      token: tokenOf(await store.rwlocks!.acquire({ app: 'test', key, leaseId: id, mode })),
    };
  };

  /** Queues a waiting acquire on `store` and returns once the queue (seen from the other server) grew. */
  const queue = async (
    store: Store,
    other: Store,
    key: string,
    mode: RwLockMode,
    order: string[],
    label: string,
  ) => {
    const leaseId = await lease(store);
    const before = await waiters(other, key);
    const granted = store
      .rwlocks!.acquire({ app: 'test', key, leaseId, mode, waitMs: 15_000 })
      .then((r) => (order.push(label), tokenOf(r)));
    await until(async () => (await waiters(other, key)) > before);
    return { leaseId, granted };
  };

  it('a writer on one server excludes readers on both; its release grants the queued readers in one step', async () => {
    const key = 'rw/exclusive';
    const w = await take(a, key, 'write');
    const id = await lease(b);
    expect(await b.rwlocks!.acquire({ app: 'test', key, leaseId: id, mode: 'read' })).toEqual({
      acquired: false,
      mode: 'write',
      waiters: 0,
    });
    const order: string[] = [];
    const r1 = await queue(b, a, key, 'read', order, 'r1');
    const r2 = await queue(a, b, key, 'read', order, 'r2');
    await a.rwlocks!.release(key, w.leaseId, 'test');
    const info = await b.rwlocks!.describe(key);
    expect(info?.holders.map((h) => [h.leaseId, h.mode])).toEqual([
      [r1.leaseId, 'read'],
      [r2.leaseId, 'read'],
    ]);
    const [t1, t2] = await Promise.all([r1.granted, r2.granted]);
    expect(t1).toBeGreaterThan(w.token);
    expect(t2).toBeGreaterThan(t1);
    expect(await a.rwlocks!.check(key, w.token)).toBe(false);
  });

  it('FIFO across servers: a reader behind a queued writer on the other server waits for it', async () => {
    const key = 'rw/fifo';
    const r0 = await take(a, key, 'read');
    const order: string[] = [];
    const w = await queue(b, a, key, 'write', order, 'w');
    const r1 = await queue(a, b, key, 'read', order, 'r1');
    await sleep(50);
    expect(order).toEqual([]);
    await a.rwlocks!.release(key, r0.leaseId, 'test');
    await w.granted;
    await sleep(50);
    expect(order).toEqual(['w']);
    await b.rwlocks!.release(key, w.leaseId, 'test');
    await r1.granted;
    expect(order).toEqual(['w', 'r1']);
  });

  it('a downgrade on one server keeps the writer queued on the other out and voids the write token', async () => {
    const key = 'rw||test||down';
    const w = await take(a, key, 'write');
    const order: string[] = [];
    const w2 = await queue(b, a, key, 'write', order, 'w2');
    const read = await take(a, key, 'read', w.leaseId);
    expect(read.token).toBeGreaterThan(w.token);
    expect(await b.rwlocks!.check(key, w.token)).toBe(false);
    expect(await b.rwlocks!.check(key, read.token)).toBe(true);
    const put = (value: string, token: number) =>
      b.kv!.put({ key: 'kv||test||rw', value, fence: { key, token }, app: 'test' });
    await expect(put('0', w.token)).rejects.toMatchObject({ code: 'FENCED' });
    await put('1', read.token);
    await sleep(50);
    expect(order).toEqual([]);
    expect((await b.rwlocks!.describe(key))?.mode).toBe('read');
    await a.rwlocks!.release(key, w.leaseId, 'test');
    expect(await w2.granted).toBeGreaterThan(read.token);
    await expect(put('2', read.token)).rejects.toMatchObject({ code: 'FENCED' });
  });

  it(`a history of ${CLIENTS} clients over both servers never has a writer beside anyone`, async () => {
    const key = 'rw/history';
    const held = { read: 0, write: 0 };
    let peakReaders = 0;
    const tokens = new Set<number>();
    const client = async (i: number) => {
      const store = i % 2 === 0 ? a : b;
      const leaseId = await lease(store);
      for (let round = 0; round < ROUNDS; round++) {
        const mode: RwLockMode = (i + round) % 4 === 0 ? 'write' : 'read';
        const token = tokenOf(
          await store.rwlocks!.acquire({ app: 'test', key, leaseId, mode, waitMs: 30_000 }),
        );
        assert.ok(!tokens.has(token), `token ${token} granted twice`);
        tokens.add(token);
        // Between the grant's reply and the release's request the grant is surely held.
        held[mode]++;
        peakReaders = Math.max(peakReaders, held.read);
        assert.ok(
          held.write <= 1 && (held.write === 0 || held.read === 0),
          `overlap: ${JSON.stringify(held)}`,
        );
        await sleep(i % 4);
        held[mode]--;
        await store.rwlocks!.release(key, leaseId, 'test');
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    expect(peakReaders).toBeGreaterThan(1);
    expect(tokens.size).toBe(CLIENTS * ROUNDS);
    expect(await a.rwlocks!.describe(key)).toBeUndefined();
  }, 60_000);
});
