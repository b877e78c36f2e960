import { expect, it } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { redisPair } from '../../../test/support/redis-pair.js';

const TOTAL_ACQUISITIONS = 10_000;
const HOT_LOCKS = 4;
const CLIENTS_PER_STORE = 8;

describeWithBackend('redis-server', 'lock.redis shared by two servers', (binary) => {
  const stores = redisPair(binary);

  it(`${TOTAL_ACQUISITIONS} acquisitions over both servers never overlap and tokens rise`, async () => {
    const { a, b } = stores();
    const inside = new Map<string, string>(); // lock -> client in its critical section right now
    const history: Grant[] = []; // every grant, with when its holder entered and left
    let overlaps = 0;
    const client = async (store: Store, name: string, seed: number): Promise<void> => {
      const lease = await store.leases.grant({ app: 'test', ttlMs: 30_000, owner: name });
      for (let i = seed; history.length < TOTAL_ACQUISITIONS; i++) {
        const key = `hot/${i % HOT_LOCKS}`;
        const result = await store.locks.acquire({ app: 'test', key, leaseId: lease.id, waitMs: 10_000 });
        if (!result.acquired) continue;
        const grant: Grant = { key, token: result.fencingToken, enteredAt: performance.now(), leftAt: 0 };
        if (inside.has(key)) overlaps++;
        inside.set(key, name);
        // A short critical section that lets every socket deliver: a wrong grant would land here.
        await new Promise((r) => setImmediate(r));
        if (inside.get(key) !== name) overlaps++;
        inside.delete(key);
        grant.leftAt = performance.now();
        history.push(grant);
        expect(await store.locks.release(key, lease.id, 'test')).toBe('released');
      }
      await store.leases.revoke(lease.id, 'test');
    };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS_PER_STORE * 2 }, (_, n) => client(n % 2 === 0 ? a : b, `client-${n}`, n)),
    );
    const seconds = (performance.now() - started) / 1000;
    const checked = checkHistory(history);
    console.log(
      `two servers: ${history.length} acquisitions in ${seconds.toFixed(1)} s, ${overlaps} overlaps seen live, ` +
        `${checked} successive grants checked from tokens and times`,
    );
    expect(overlaps).toBe(0);
    expect(history.length).toBeGreaterThanOrEqual(TOTAL_ACQUISITIONS);
  }, 60_000);

  it('a waiter on one server is granted a lock released through the other within 50 ms', async () => {
    const { a, b } = stores();
    const latencies: number[] = [];
    for (let round = 0; round < 20; round++) {
      const key = `handoff/${round}`;
      const holder = await b.leases.grant({ app: 'test', ttlMs: 30_000 });
      const waiter = await a.leases.grant({ app: 'test', ttlMs: 30_000 });
      expect((await b.locks.acquire({ app: 'test', key, leaseId: holder.id })).acquired).toBe(true);
      const waiting = a.locks.acquire({ app: 'test', key, leaseId: waiter.id, waitMs: 5_000 });
      while ((await b.locks.describe(key)).waiters < 1) await new Promise((r) => setTimeout(r, 2));
      const released = performance.now();
      expect(await b.locks.release(key, holder.id, 'test')).toBe('released');
      const result = await waiting;
      latencies.push(performance.now() - released);
      expect(result.acquired).toBe(true);
      expect((await b.locks.describe(key)).leaseId).toBe(waiter.id);
    }
    latencies.sort((x, y) => x - y);
    const median = latencies[latencies.length >> 1]!;
    const max = latencies[latencies.length - 1]!;
    console.log(`cross-server hand-off: median ${median.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
    expect(max).toBeLessThan(50);
  });

  it('a lapsed holder on one server is handed to a waiter on the other at its deadline', async () => {
    const { a, b } = stores();
    const key = 'handoff/lapsed';
    const holder = await b.leases.grant({ app: 'test', ttlMs: 400 });
    const waiter = await a.leases.grant({ app: 'test', ttlMs: 30_000 });
    expect((await b.locks.acquire({ app: 'test', key, leaseId: holder.id })).acquired).toBe(true);
    const started = performance.now();
    const result = await a.locks.acquire({ app: 'test', key, leaseId: waiter.id, waitMs: 5_000 });
    const waited = performance.now() - started;
    expect(result.acquired).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(380);
    expect(waited).toBeLessThan(400 + 100);
  });
});

interface Grant {
  readonly key: string;
  readonly token: number;
  readonly enteredAt: number;
  leftAt: number;
}

/** Per lock, in token order: tokens are unique and each holder left before the next entered. */
function checkHistory(history: readonly Grant[]): number {
  const byKey = new Map<string, Grant[]>();
  for (const grant of history) byKey.set(grant.key, [...(byKey.get(grant.key) ?? []), grant]);
  let checked = 0;
  for (const grants of byKey.values()) {
    grants.sort((x, y) => x.token - y.token);
    for (let i = 1; i < grants.length; i++, checked++) {
      expect(grants[i]!.token).toBeGreaterThan(grants[i - 1]!.token);
      expect(grants[i]!.enteredAt).toBeGreaterThanOrEqual(grants[i - 1]!.leftAt);
    }
  }
  return checked;
}
