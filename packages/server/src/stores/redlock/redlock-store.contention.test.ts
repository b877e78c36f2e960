import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from '../redis/index.js';

const TOTAL_ACQUISITIONS = 2_000;
const HOT_LOCKS = 4;
const CLIENTS_PER_STORE = 4;

describeWithBackend('redis-server', 'lock.redis Redlock shared by two servers', (binary) => {
  let servers: RedisServer[] = [];
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => RedisServer.start(binary)));
    const metadata = new Map([['redishosts', servers.map((s) => s.address).join(',')]]);
    [a, b] = [await createRedisStore('lockstore', metadata), await createRedisStore('lockstore', metadata)];
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await Promise.all(servers.map((s) => s.destroy()));
  });

  it(`${TOTAL_ACQUISITIONS} acquisitions over both servers never overlap and tokens rise`, async () => {
    const inside = new Map<string, string>();
    const history: { key: string; token: number; enteredAt: number; leftAt: number }[] = [];
    let overlaps = 0;
    const client = async (store: Store, name: string, seed: number): Promise<void> => {
      const lease = await store.leases.grant({ app: 'test', ttlMs: 30_000, owner: name });
      for (let i = seed; history.length < TOTAL_ACQUISITIONS; i++) {
        const key = `hot/${i % HOT_LOCKS}`;
        const result = await store.locks.acquire({ app: 'test', key, leaseId: lease.id, waitMs: 10_000 });
        if (!result.acquired) continue;
        const enteredAt = performance.now();
        if (inside.has(key)) overlaps++;
        inside.set(key, name);
        await new Promise((r) => setImmediate(r));
        if (inside.get(key) !== name) overlaps++;
        inside.delete(key);
        history.push({ key, token: result.fencingToken, enteredAt, leftAt: performance.now() });
        expect(await store.locks.release(key, lease.id, 'test')).toBe('released');
      }
      await store.leases.revoke(lease.id, 'test');
    };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS_PER_STORE * 2 }, (_, n) => client(n % 2 === 0 ? a : b, `client-${n}`, n)),
    );
    let checked = 0;
    for (let k = 0; k < HOT_LOCKS; k++) {
      const grants = history.filter((g) => g.key === `hot/${k}`).sort((x, y) => x.token - y.token);
      for (let i = 1; i < grants.length; i++, checked++) {
        expect(grants[i]!.token).toBeGreaterThan(grants[i - 1]!.token);
        expect(grants[i]!.enteredAt).toBeGreaterThanOrEqual(grants[i - 1]!.leftAt);
      }
    }
    console.log(
      `Redlock, two servers: ${history.length} acquisitions in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
        `${overlaps} overlaps seen live, ${checked} successive grants checked`,
    );
    expect(overlaps).toBe(0);
  }, 60_000);
});
