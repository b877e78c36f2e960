import { daprOf } from '../dapr/dapr-mapping.js';
import assert from 'node:assert/strict';
import type { UsageQuery } from '../types.js';
import { rejectsWith } from './case-helpers.js';
import type { ConformanceCase, ConformanceContext } from './context.js';

const TTL_MS = 30_000;
const ORDERS = 'orders';
const BILLING = 'billing';

/** What app A's lease holds, read as A: unchanged is the point of every tenancy case. */
async function ordersState(ctx: ConformanceContext, leaseId: string) {
  const lease = await ctx.store.leases.get(leaseId, ORDERS);
  const lock = await ctx.store.locks.describe(`${ctx.prefix}lock`);
  const value = await ctx.store.kv!.get(`${ctx.prefix}bound`);
  return {
    alive: lease !== undefined,
    locks: [...(lease?.locks ?? [])].sort(),
    keys: [...(lease?.keys ?? [])].sort(),
    holder: lock.leaseId,
    token: lock.fencingToken,
    value: value?.value,
  };
}

/** Counts the positions where two ids of one length differ. */
function differingPositions(a: string, b: string): number {
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}

/** Leases belong to the app that granted them (DESIGN §7), on every store. */
export const tenancyCases: ConformanceCase[] = [
  {
    name: "another app's lease id reads exactly as a missing one, and nothing of it changes",
    needs: ['leases', 'locks', 'kv'],
    async run(ctx) {
      const granted = await ctx.store.leases.grant({ ttlMs: TTL_MS, owner: 'orders-worker', app: ORDERS });
      const id = granted.id;
      const held = await ctx.store.locks.acquire({ key: `${ctx.prefix}lock`, leaseId: id, app: ORDERS });
      assert.equal(held.acquired, true);
      await ctx.store.kv!.put({ key: `${ctx.prefix}bound`, value: 'v', leaseId: id, app: ORDERS });
      const before = await ordersState(ctx, id);
      assert.equal(before.alive, true);

      assert.equal(await ctx.store.leases.get(id, BILLING), undefined);
      assert.equal(await ctx.store.leases.keepAlive(id, BILLING), undefined);
      assert.equal(await ctx.store.leases.revoke(id, BILLING), false);
      await rejectsWith(
        ctx.store.locks.acquire({ key: `${ctx.prefix}other`, leaseId: id, app: BILLING }),
        'LEASE_NOT_FOUND',
      );
      await rejectsWith(
        ctx.store.locks.acquire({ key: `${ctx.prefix}other`, leaseId: id, app: BILLING, waitMs: 200 }),
        'LEASE_NOT_FOUND',
      );
      await rejectsWith(
        ctx.store.kv!.put({ key: `${ctx.prefix}stolen`, value: 'x', leaseId: id, app: BILLING }),
        'LEASE_NOT_FOUND',
      );
      assert.equal(await ctx.store.locks.release(`${ctx.prefix}lock`, id, BILLING), 'held_by_other');

      assert.deepEqual(await ordersState(ctx, id), before);
      assert.equal((await ctx.store.locks.describe(`${ctx.prefix}other`)).held, false);
      assert.equal(await ctx.store.kv!.get(`${ctx.prefix}stolen`), undefined);
    },
  },
  {
    name: 'a lease reports its app, and so do the locks it holds; an admin may use any lease',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const id = (await ctx.store.leases.grant({ ttlMs: TTL_MS, app: ORDERS })).id;
      assert.equal((await ctx.store.leases.get(id, ORDERS))?.app, ORDERS);
      assert.equal((await ctx.store.leases.get(id, undefined))?.app, ORDERS);
      assert.equal((await ctx.store.leases.keepAlive(id, undefined))?.id, id);
      const key = `${ctx.prefix}admin`;
      assert.equal((await ctx.store.locks.acquire({ key, leaseId: id, app: undefined })).acquired, true);
      const lock = await ctx.store.locks.describe(key);
      assert.equal(lock.leaseId, id);
      assert.equal(lock.app, ORDERS);
      const contender = (await ctx.store.leases.grant({ ttlMs: TTL_MS, app: BILLING })).id;
      const busy = await ctx.store.locks.acquire({ key, leaseId: contender, app: BILLING });
      assert.equal(busy.acquired, false);
      if (!busy.acquired && busy.holder) assert.equal(busy.holder.app, ORDERS);
      assert.equal(await ctx.store.leases.revoke(id, undefined), true);
      assert.equal((await ctx.store.locks.describe(key)).held, false);
    },
  },
  {
    name: "a Dapr lock's implicit lease belongs to the app that took it",
    needs: ['leases', 'locks', 'dapr'],
    async run(ctx) {
      const key = `${ctx.prefix}dapr`;
      assert.equal((await daprOf(ctx.store).tryLock(key, 'owner', TTL_MS, ORDERS)).acquired, true);
      const lock = await ctx.store.locks.describe(key);
      assert.ok(lock.leaseId);
      assert.equal(lock.app, ORDERS);
      assert.equal(await ctx.store.leases.revoke(lock.leaseId, BILLING), false);
      assert.equal(await ctx.store.leases.keepAlive(lock.leaseId, BILLING), undefined);
      assert.equal((await ctx.store.locks.describe(key)).held, true);
      // Even with the right owner string, another app cannot unlock it.
      assert.equal(await daprOf(ctx.store).unlock(key, 'owner', BILLING), 2);
      assert.equal((await ctx.store.locks.describe(key)).held, true);
      assert.equal(await daprOf(ctx.store).unlock(key, 'owner', ORDERS), 0);
    },
  },
  {
    name: 'lease ids are unguessable: two grants in a row share no run of digits',
    needs: ['leases'],
    async run(ctx) {
      const a = (await ctx.store.leases.grant({ ttlMs: TTL_MS, app: ORDERS })).id;
      const b = (await ctx.store.leases.grant({ ttlMs: TTL_MS, app: BILLING })).id;
      // 128 random bits as hex differ in about 30 of 32 places; counters and clocks differ in a few.
      assert.ok(a.length >= 22, `lease id ${a} is too short to carry 128 random bits`);
      assert.ok(differingPositions(a, b) >= 16, `lease ids ${a} and ${b} are too alike`);
      await ctx.store.leases.revoke(a, ORDERS);
      await ctx.store.leases.revoke(b, BILLING);
    },
  },
  {
    name: 'usage counts leases and locks by app, keys and counters by key scope',
    needs: ['leases', 'locks', 'dapr', 'kv', 'counters'],
    async run(ctx) {
      const store = ctx.store;
      assert.equal(typeof store.usage, 'function', 'the store must report usage for quotas');
      const usage = async (query: UsageQuery) => store.usage!(query);
      // A fresh app and scope per case: other cases' tenants never show up here.
      const app = `${ctx.prefix.replace(/\W/g, '')}app`;
      const scope = `${app}||`;
      const kvKey = `kv||${scope}k`;
      const empty = await usage({ app, scope, kvKey, counter: `counter||${scope}c` });
      assert.deepEqual(
        [
          empty.leases,
          empty.locks,
          empty.keys,
          empty.keyBytes,
          empty.counters,
          empty.kvKeyBytes,
          empty.counterExists,
        ],
        [0, 0, 0, 0, 0, undefined, false],
      );
      const id = (await ctx.store.leases.grant({ ttlMs: TTL_MS, app })).id;
      await ctx.store.leases.grant({ ttlMs: TTL_MS, app });
      await ctx.store.locks.acquire({ key: `lock||${scope}l`, leaseId: id, app });
      await daprOf(ctx.store).tryLock(`lock||${scope}d`, 'o', TTL_MS, app);
      await ctx.store.kv!.put({ key: kvKey, value: 'héllo', leaseId: id, app });
      await ctx.store.counters!.add(`counter||${scope}c`, 2);
      const used = await usage({ app, scope, kvKey, counter: `counter||${scope}c` });
      assert.deepEqual(
        [
          used.leases,
          used.locks,
          used.keys,
          used.keyBytes,
          used.counters,
          used.kvKeyBytes,
          used.counterExists,
        ],
        [3, 2, 1, 6, 1, 6, true],
      );
      await ctx.store.leases.revoke(id, app);
      const after = await usage({ app, scope });
      assert.deepEqual([after.leases, after.locks, after.keys, after.keyBytes], [2, 1, 0, 0]);
    },
  },
];
