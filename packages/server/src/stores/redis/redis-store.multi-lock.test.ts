import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AcquireAllResult, Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { redisPair } from '../../../test/support/redis-pair.js';
import { createRedisStore } from './index.js';
import { acquireAllScript } from './multi-lock-scripts.js';
import { storePrefix } from './replies.js';

const ROUNDS = 100;
const KEYS = ['multi/x', 'multi/y', 'multi/z'];

/** The tokens of a grant; fails the test when nothing was granted. */
function tokensOf(result: AcquireAllResult): Record<string, number> {
  expect(result.acquired).toBe(true);
  return result.acquired ? { ...result.fencingTokens } : {};
}

/** Holds `key` on a new lease of `store` (`ttlMs` long); returns the lease id. */
async function hold(store: Store, key: string, ttlMs = 30_000): Promise<string> {
  const lease = await store.leases.grant({ app: 't', ttlMs });
  expect((await store.locks.acquire({ app: 't', key, leaseId: lease.id })).acquired).toBe(true);
  return lease.id;
}

/** Starts a set's wait on `store` for a new lease; returns once `seenFrom` lists it in `key`'s queue. */
async function queueSet(store: Store, keys: readonly string[], seenFrom: Store, key: string) {
  const leaseId = (await store.leases.grant({ app: 't', ttlMs: 30_000 })).id;
  const result = store.multiLock!.acquireAll({ app: 't', keys, leaseId, waitMs: 10_000 });
  result.catch(() => undefined); // read by the test; a rejection is asserted there
  while ((await seenFrom.locks.describe(key)).waiters === 0) await new Promise((r) => setTimeout(r, 5));
  return { leaseId, result };
}

describeWithBackend('redis-server', 'lock.redis multi-locks shared by two servers', (binary) => {
  const stores = redisPair(binary);
  let raw: Redis;
  beforeAll(async () => {
    raw = new Redis({ host: '127.0.0.1', port: stores().server.port, lazyConnect: true });
    await raw.connect();
  });
  afterAll(() => raw?.disconnect());

  it(`reversed-order multi-locks from both servers all finish ${ROUNDS} times, and no one sees a subset`, async () => {
    const { a, b } = stores();
    const [onA, onB] = [
      await a.leases.grant({ app: 't', ttlMs: 30_000 }),
      await b.leases.grant({ app: 't', ttlMs: 30_000 }),
    ];
    // Snapshots of the three lock keys by one MGET (atomic in Redis): all free, or all one lease's.
    let observing = true;
    const seen = { snapshots: 0, held: 0, subsets: [] as string[] };
    const observer = (async () => {
      while (observing) {
        const values = await raw.mget(...KEYS);
        seen.snapshots++;
        if (values.every((v) => v === null)) continue;
        if (values.every((v) => v !== null && v === values[0])) seen.held++;
        else seen.subsets.push(JSON.stringify(values));
      }
    })();
    let inside: string | undefined;
    const overlaps: string[] = [];
    let handedToWaiter = 0; // sets released while the other server's set was queued on them
    const cycle = async (store: Store, leaseId: string, keys: readonly string[]) => {
      const granted = tokensOf(
        await store.multiLock!.acquireAll({ app: 't', keys, leaseId, waitMs: 10_000 }),
      );
      const tokens = Object.values(granted).sort((x, y) => x - y);
      // One grant in one script: the set's tokens (revisions) are consecutive, nothing in between.
      expect(tokens[tokens.length - 1]! - tokens[0]!).toBe(keys.length - 1);
      if (inside !== undefined) overlaps.push(`${leaseId} entered while ${inside} held the set`);
      inside = leaseId;
      await new Promise((resolve) => setImmediate(resolve));
      inside = undefined;
      if ((await store.locks.describe(keys[0]!)).waiters > 0) handedToWaiter++;
      const statuses = await store.multiLock!.releaseAll(keys, leaseId, 't');
      expect(Object.values(statuses)).toEqual(['released', 'released', 'released']);
    };
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const forward = round % 2 === 0 ? KEYS : [...KEYS].reverse();
      const reversed = [...forward].reverse();
      const both = Promise.all([cycle(a, onA.id, forward), cycle(b, onB.id, reversed)]);
      const late = new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`round ${round} hung`)), 5_000).unref(),
      );
      await Promise.race([both, late]);
    }
    const seconds = (performance.now() - started) / 1_000;
    observing = false;
    await observer;
    console.log(
      `two servers: ${ROUNDS} rounds of reversed 3-lock sets in ${seconds.toFixed(1)} s; ` +
        `${seen.snapshots} snapshots, ${seen.held} with the set held, ${seen.subsets.length} subsets; ` +
        `${handedToWaiter} sets handed to a queued set`,
    );
    expect(handedToWaiter).toBeGreaterThan(ROUNDS / 2);
    expect(overlaps).toEqual([]);
    expect(seen.subsets).toEqual([]);
    expect(seen.held).toBeGreaterThan(0);
    expect(await raw.mget(...KEYS)).toEqual([null, null, null]);
    for (const key of KEYS) expect((await a.locks.describe(key)).waiters).toBe(0);
    expect(await a.stats!()).toMatchObject({ waiters: 0 });
  });

  it("hands a set on across servers when its holder's lease lapses, FIFO ahead of a later single waiter", async () => {
    const { a, b } = stores();
    const [x, y] = ['fifo/x', 'fifo/y'];
    await hold(b, y, 400);
    const { leaseId: composite, result: waiting } = await queueSet(a, [x, y], b, x);
    const single = await b.leases.grant({ app: 't', ttlMs: 30_000 });
    expect((await b.locks.acquire({ app: 't', key: x, leaseId: single.id })).acquired).toBe(false);
    const later = b.locks.acquire({ app: 't', key: x, leaseId: single.id, waitMs: 10_000 });
    // Nobody releases y: server a's timer at the holder's deadline re-runs the hand-off.
    const granted = tokensOf(await waiting);
    expect((await a.locks.describe(x)).leaseId).toBe(composite);
    expect((await a.locks.describe(y)).leaseId).toBe(composite);
    expect(await a.multiLock!.releaseAll([x, y], composite, 't')).toEqual({
      [x]: 'released',
      [y]: 'released',
    });
    const after = await later;
    expect(after.acquired && after.fencingToken > granted[x]!).toBe(true);
  });

  it('fails a set waiting on one server with LEASE_NOT_FOUND when another server revokes its lease', async () => {
    const { a, b } = stores();
    const [x, y] = ['revoke/x', 'revoke/y'];
    const holder = await hold(a, x);
    const waiter = await queueSet(a, [y, x], b, y);
    const failed = waiter.result.catch((error: unknown) => error);
    await b.leases.revoke(waiter.leaseId, 't');
    expect((await failed) as { code?: string }).toMatchObject({ code: 'LEASE_NOT_FOUND' });
    for (const key of [x, y]) expect((await b.locks.describe(key)).waiters).toBe(0);
    expect((await b.locks.describe(y)).held).toBe(false);
    expect((await b.locks.acquire({ app: 't', key: y, leaseId: holder })).acquired).toBe(true);
  });

  it('keeps a lock free for a waiting set from a Dapr TryLock too, and takes it on once the set is granted', async () => {
    const { a, b } = stores();
    const [x, y] = ['dapr/x', 'dapr/y'];
    const holder = await hold(a, y);
    const waiter = await queueSet(a, [x, y], b, x);
    expect(await b.dapr!.tryLock(x, 'sidecar', 5_000, 't')).toEqual({ acquired: false });
    expect((await b.locks.describe(x)).held).toBe(false);
    await b.locks.release(y, holder, 't');
    tokensOf(await waiter.result);
    expect((await b.dapr!.tryLock(x, 'sidecar', 5_000, 't')).acquired).toBe(false);
    await a.multiLock!.releaseAll([x, y], waiter.leaseId, 't');
    expect((await b.dapr!.tryLock(x, 'sidecar', 5_000, 't')).acquired).toBe(true);
  });

  it('clears a set left queued by a server that died, at the end of its wait, and hands its locks on', async () => {
    const { a, b } = stores();
    const [x, y] = ['dead/x', 'dead/y'];
    const holder = await hold(a, y);
    const orphan = await a.leases.grant({ app: 't', ttlMs: 30_000 });
    // Queued as a server would queue it, on a channel nobody listens to: nobody will cancel it.
    const args = [orphan.id, 0, 300, 'm:from-a-dead-server', 'nobody', '=t', x, y];
    expect(((await acquireAllScript.run(raw, storePrefix('lockstore'), args)) as string[])[0]).toBe('queued');
    const single = await b.leases.grant({ app: 't', ttlMs: 30_000 });
    const started = performance.now();
    const late = await b.locks.acquire({ app: 't', key: x, leaseId: single.id, waitMs: 5_000 });
    expect(late.acquired).toBe(true);
    // b's timer for x fired when the orphan's wait ended (300 ms), not at its own waitMs.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await b.locks.describe(y)).waiters).toBe(0);
    expect((await b.locks.describe(y)).leaseId).toBe(holder);
  });

  it('a set granted while its server was unsubscribed still reaches its waiter', async () => {
    const { a, b } = stores();
    const [x, y] = ['lost/x', 'lost/y'];
    const holder = await hold(b, y);
    const waiter = await queueSet(a, [x, y], b, y);
    const started = performance.now();
    // Drop every subscriber connection, then release before they are back: the grant message is lost.
    await raw.client('KILL', 'TYPE', 'pubsub');
    expect(await b.locks.release(y, holder, 't')).toBe('released');
    expect(Object.keys(tokensOf(await waiter.result)).sort()).toEqual([x, y]);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await b.locks.describe(x)).leaseId).toBe(waiter.leaseId);
  });

  it('a server that closes takes its waiting sets out of every queue, and another server gets the locks', async () => {
    const { b, server } = stores();
    const [x, y] = ['close/x', 'close/y'];
    const third = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
    const holder = await hold(b, y);
    const waiter = await queueSet(third, [x, y], b, x);
    await third.close();
    expect(await waiter.result.catch((error: unknown) => error)).toMatchObject({ code: 'UNAVAILABLE' });
    for (const key of [x, y]) expect((await b.locks.describe(key)).waiters).toBe(0);
    expect(await b.locks.release(y, holder, 't')).toBe('released');
    expect((await b.locks.describe(y)).held).toBe(false);
    const next = await b.leases.grant({ app: 't', ttlMs: 30_000 });
    expect(
      tokensOf(await b.multiLock!.acquireAll({ app: 't', keys: [x, y], leaseId: next.id })),
    ).toBeDefined();
  });
});
