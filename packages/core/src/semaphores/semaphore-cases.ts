import assert from 'node:assert/strict';
import { LONG_TTL_MS, lease, rejectsWith } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import type { WatchEvent } from '../types.js';
import type { PermitAcquireResult, SemaphoreStore } from './semaphore-store.js';

/** The store's semaphores; a case runs only where the store has them. */
export function sems(ctx: ConformanceContext): SemaphoreStore {
  return ctx.store.semaphores!;
}

/** The fencing token of a grant; fails the case when nothing was granted. */
export function granted(result: PermitAcquireResult): number {
  assert.equal(result.acquired, true, `expected permits to be granted, got ${JSON.stringify(result)}`);
  return (result as { fencingToken: number }).fencingToken;
}

/** Takes `permits` of `key` (limit `limit`) on a new lease; returns the lease id and token. */
export async function hold(ctx: ConformanceContext, key: string, limit: number, permits: number) {
  const leaseId = await lease(ctx);
  const token = granted(await sems(ctx).acquire({ app: 'test', key, leaseId, limit, permits }));
  return { leaseId, token };
}

/** Semaphores: limits, owner-safe release, re-acquire, fencing and tenancy. */
export const semaphoreCases: ConformanceCase[] = [
  {
    name: 'a semaphore grants up to its limit, and a re-acquire on the holding lease takes nothing',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}s`;
      const a = await hold(ctx, key, 3, 2);
      const again = await sems(ctx).acquire({ app: 'test', key, leaseId: a.leaseId, limit: 3, permits: 2 });
      assert.deepEqual(again, { acquired: true, fencingToken: a.token, permits: 2 });
      const b = await hold(ctx, key, 3, 1);
      assert.ok(b.token > a.token, 'tokens rise with every grant');
      const c = await lease(ctx);
      const refused = await sems(ctx).acquire({ app: 'test', key, leaseId: c, limit: 3, permits: 1 });
      assert.deepEqual(refused, { acquired: false, available: 0, waiters: 0 });
      const info = await sems(ctx).describe(key);
      assert.equal(info?.used, 3);
      assert.equal(info?.limit, 3);
      assert.deepEqual(
        info?.holders.map((h) => [h.leaseId, h.permits, h.fencingToken]),
        [
          [a.leaseId, 2, a.token],
          [b.leaseId, 1, b.token],
        ],
      );
    },
  },
  {
    name: 'limits must agree: LIMIT_MISMATCH, NOT_FOUND without a limit, permits within the limit',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}m`;
      const id = await lease(ctx);
      await rejectsWith(sems(ctx).acquire({ app: 'test', key, leaseId: id, permits: 1 }), 'NOT_FOUND');
      await hold(ctx, key, 2, 1);
      await rejectsWith(
        sems(ctx).acquire({ app: 'test', key, leaseId: id, limit: 3, permits: 1 }),
        'LIMIT_MISMATCH',
      );
      await rejectsWith(sems(ctx).acquire({ app: 'test', key, leaseId: id, permits: 3 }), 'INVALID_ARGUMENT');
      granted(await sems(ctx).acquire({ app: 'test', key, leaseId: id, permits: 1 }));
      await rejectsWith(sems(ctx).setLimit(key, 5, 4), 'LIMIT_MISMATCH');
      assert.equal((await sems(ctx).describe(key))?.limit, 2);
    },
  },
  {
    name: 'release is owner-safe and repeatable, and check is false once released',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}r`;
      const a = await hold(ctx, key, 2, 1);
      const b = await hold(ctx, key, 2, 1);
      const stranger = await lease(ctx);
      assert.equal(await sems(ctx).release(key, stranger, 'test'), 'not_held');
      assert.equal(await sems(ctx).release(key, a.leaseId, 'other-app'), 'not_held');
      assert.equal(await sems(ctx).check(key, a.token), true);
      assert.equal(await sems(ctx).release(key, a.leaseId, 'test'), 'released');
      assert.equal(await sems(ctx).release(key, a.leaseId, 'test'), 'not_held');
      assert.equal(await sems(ctx).check(key, a.token), false);
      assert.equal(await sems(ctx).check(key, b.token), true, 'another holder stays valid');
      assert.equal((await sems(ctx).describe(key))?.used, 1);
    },
  },
  {
    name: 'a fenced put names a semaphore grant and is refused once it is released',
    needs: ['leases', 'semaphores', 'kv'],
    async run(ctx) {
      const key = `${ctx.prefix}fs`;
      const a = await hold(ctx, key, 2, 1);
      const fence = { key, token: a.token };
      await ctx.store.kv!.put({ key: `${ctx.prefix}v`, value: '1', fence, app: 'test' });
      await sems(ctx).release(key, a.leaseId, 'test');
      await rejectsWith(
        ctx.store.kv!.put({ key: `${ctx.prefix}v`, value: '2', fence, app: 'test' }),
        'FENCED',
      );
      assert.equal((await ctx.store.kv!.get(`${ctx.prefix}v`))?.value, '1');
    },
  },
  {
    name: "another app's lease cannot take or release permits, and nothing of its grant changes",
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}t`;
      const orders = await ctx.store.leases.grant({ ttlMs: LONG_TTL_MS, app: 'orders' });
      const held = await sems(ctx).acquire({ app: 'orders', key, leaseId: orders.id, limit: 2, permits: 1 });
      const before = await sems(ctx).describe(key);
      await rejectsWith(
        sems(ctx).acquire({ app: 'billing', key, leaseId: orders.id, limit: 2, permits: 1 }),
        'LEASE_NOT_FOUND',
      );
      assert.equal(await sems(ctx).release(key, orders.id, 'billing'), 'not_held');
      assert.deepEqual(await sems(ctx).describe(key), before);
      assert.equal(await sems(ctx).check(key, granted(held)), true);
    },
  },
  {
    name: 'a watch sees permit.acquired and permit.released with the grant and its permits',
    needs: ['leases', 'semaphores', 'watch'],
    async run(ctx) {
      const events: WatchEvent[] = [];
      const stop = ctx.store.watch.subscribe({ prefix: ctx.prefix, onEvent: (e) => events.push(e) });
      try {
        const key = `${ctx.prefix}w`;
        const a = await hold(ctx, key, 3, 2);
        await sems(ctx).release(key, a.leaseId, 'test');
        const deadline = Date.now() + 3_000;
        while (events.length < 2 && Date.now() < deadline) await sleep(20);
        const seen = events.map((e) => [e.type, e.key, e.leaseId, e.fencingToken, e.permits]);
        assert.deepEqual(seen, [
          ['permit.acquired', key, a.leaseId, a.token, 2],
          ['permit.released', key, a.leaseId, a.token, 2],
        ]);
        assert.ok(events[1]!.revision > events[0]!.revision);
      } finally {
        stop();
      }
    },
  },
  {
    name: 'semaphores are listed by prefix, in key order, with their use',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      await hold(ctx, `${ctx.prefix}l/b`, 4, 2);
      await hold(ctx, `${ctx.prefix}l/a`, 1, 1);
      await sems(ctx).setLimit(`${ctx.prefix}l/c`, 7);
      const listed = await sems(ctx).list(`${ctx.prefix}l/`, 100);
      assert.deepEqual(
        listed.map((s) => [s.key, s.limit, s.used]),
        [
          [`${ctx.prefix}l/a`, 1, 1],
          [`${ctx.prefix}l/b`, 4, 2],
          [`${ctx.prefix}l/c`, 7, 0],
        ],
      );
    },
  },
];
