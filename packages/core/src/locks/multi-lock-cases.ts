import assert from 'node:assert/strict';
import { LONG_TTL_MS, lease, rejectsWith, token } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { LeaseholdError } from '../errors.js';
import type { AcquireAllResult, MultiLockStore } from './multi-lock-store.js';
import { MAX_MULTI_LOCK_NAMES } from './multi-lock-store.js';

/** The store's multi-lock; a case runs only where the store has it. */
export function multi(ctx: ConformanceContext): MultiLockStore {
  return ctx.store.multiLock!;
}

/** The tokens of an all-or-nothing grant, by key; fails the case when nothing was granted. */
export function tokens(result: AcquireAllResult): Readonly<Record<string, number>> {
  assert.equal(result.acquired, true, `expected every lock to be granted, got ${JSON.stringify(result)}`);
  return (result as { fencingTokens: Record<string, number> }).fencingTokens;
}

/** The holders a refused acquire named, as `key → leaseId`. */
export function holderIds(result: AcquireAllResult): Record<string, string> {
  assert.equal(result.acquired, false, `expected a refusal, got ${JSON.stringify(result)}`);
  const holders = (result as { holders: Record<string, { leaseId: string }> }).holders;
  return Object.fromEntries(Object.entries(holders).map(([key, holder]) => [key, holder.leaseId]));
}

/** Who holds each key (undefined when free), read one describe at a time. */
export async function heldBy(ctx: ConformanceContext, keys: readonly string[]) {
  return Promise.all(keys.map(async (key) => (await ctx.store.locks.describe(key)).leaseId));
}

async function rejectsOnField(promise: Promise<unknown>, field: string, limit: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LeaseholdError, `expected a LeaseholdError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.equal(error.field, field);
    assert.match(error.message, limit);
    return true;
  });
}

/** Multi-locks: all or nothing at once, held names, limits, release and tenancy. */
export const multiLockCases: ConformanceCase[] = [
  {
    name: 'acquireAll takes every free lock in one grant, and each is then an ordinary lock',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = ['a', 'b', 'c'].map((n) => `${ctx.prefix}${n}`);
      const id = await lease(ctx, LONG_TTL_MS, 'multi');
      const granted = tokens(await multi(ctx).acquireAll({ app: 'test', keys, leaseId: id }));
      assert.deepEqual(Object.keys(granted).sort(), [...keys].sort());
      for (const key of keys) {
        const info = await ctx.store.locks.describe(key);
        assert.equal(info.leaseId, id);
        assert.equal(info.owner, 'multi');
        assert.equal(info.fencingToken, granted[key]);
        assert.equal(await ctx.store.locks.check(key, granted[key]!), true);
      }
      const again = await multi(ctx).acquireAll({ app: 'test', keys: [...keys].reverse(), leaseId: id });
      assert.deepEqual(again, { acquired: true, fencingTokens: granted }, 'a repeat took new grants');
      assert.equal(await ctx.store.locks.release(keys[0]!, id, 'test'), 'released');
      const other = await lease(ctx);
      assert.equal(
        token(await ctx.store.locks.acquire({ app: 'test', key: keys[0]!, leaseId: other })) > 0,
        true,
      );
      await ctx.store.leases.revoke(id, 'test');
      assert.deepEqual(await heldBy(ctx, keys), [other, undefined, undefined]);
    },
  },
  {
    name: 'a try (waitMs 0) is refused with the holders when any lock is held, and takes nothing',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = ['a', 'b', 'c'].map((n) => `${ctx.prefix}${n}`);
      const holder = await lease(ctx);
      const held = token(await ctx.store.locks.acquire({ app: 'test', key: keys[1]!, leaseId: holder }));
      const id = await lease(ctx);
      const refused = await multi(ctx).acquireAll({ app: 'test', keys, leaseId: id, waitMs: 0 });
      assert.deepEqual(holderIds(refused), { [keys[1]!]: holder });
      const named = (refused as { holders: Record<string, { fencingToken: number }> }).holders[keys[1]!];
      assert.equal(named?.fencingToken, held);
      assert.deepEqual(await heldBy(ctx, keys), [undefined, holder, undefined]);
      for (const key of keys) assert.equal((await ctx.store.locks.describe(key)).waiters, 0);
    },
  },
  {
    name: 'names the lease already holds count as held, keep their tokens, and survive a refusal',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const [a, b, c] = ['a', 'b', 'c'].map((n) => `${ctx.prefix}${n}`) as [string, string, string];
      const id = await lease(ctx);
      const mine = token(await ctx.store.locks.acquire({ app: 'test', key: a, leaseId: id }));
      const other = await lease(ctx);
      token(await ctx.store.locks.acquire({ app: 'test', key: c, leaseId: other }));
      const refused = await multi(ctx).acquireAll({ app: 'test', keys: [a, b, c], leaseId: id });
      assert.deepEqual(holderIds(refused), { [c]: other }, 'the lease itself was named a holder');
      assert.deepEqual(await heldBy(ctx, [a, b, c]), [id, undefined, other]);
      assert.equal(await ctx.store.locks.check(a, mine), true, 'a refusal let go of a lock held before');
      const granted = tokens(await multi(ctx).acquireAll({ app: 'test', keys: [b, a], leaseId: id }));
      assert.equal(granted[a], mine);
      assert.ok(granted[b]! > mine);
    },
  },
  {
    name: 'releaseAll answers a status per key, owner-safe and repeatable, and hands each on',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const [a, b, c] = ['a', 'b', 'c'].map((n) => `${ctx.prefix}${n}`) as [string, string, string];
      const id = await lease(ctx);
      const other = await lease(ctx);
      tokens(await multi(ctx).acquireAll({ app: 'test', keys: [a, b], leaseId: id }));
      token(await ctx.store.locks.acquire({ app: 'test', key: c, leaseId: other }));
      const waiting = ctx.store.locks.acquire({ app: 'test', key: b, leaseId: other, waitMs: 10_000 });
      const byOther = await multi(ctx).releaseAll([a, b], other, 'test');
      assert.deepEqual(byOther, { [a]: 'held_by_other', [b]: 'held_by_other' });
      const statuses = await multi(ctx).releaseAll([a, b, c, a], id, 'test');
      assert.deepEqual(statuses, { [a]: 'released', [b]: 'released', [c]: 'held_by_other' });
      token(await waiting);
      assert.deepEqual(await heldBy(ctx, [a, b, c]), [undefined, other, other]);
      const repeated = await multi(ctx).releaseAll([a, b, c], id, 'test');
      assert.deepEqual(repeated, { [a]: 'not_held', [b]: 'held_by_other', [c]: 'held_by_other' });
    },
  },
  {
    name: 'names are deduplicated; none, or more than 64, is INVALID_ARGUMENT on names, changing nothing',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const id = await lease(ctx);
      const [a, b] = [`${ctx.prefix}a`, `${ctx.prefix}b`];
      const granted = tokens(await multi(ctx).acquireAll({ app: 'test', keys: [a, b, a, b], leaseId: id }));
      assert.deepEqual(Object.keys(granted).sort(), [a, b]);
      assert.deepEqual(await multi(ctx).releaseAll([a, b, b], id, 'test'), {
        [a]: 'released',
        [b]: 'released',
      });
      const tooMany = Array.from({ length: MAX_MULTI_LOCK_NAMES + 1 }, (_, i) => `${ctx.prefix}k${i}`);
      await rejectsOnField(
        multi(ctx).acquireAll({ app: 'test', keys: [], leaseId: id }),
        'names',
        /at least 1/,
      );
      await rejectsOnField(
        multi(ctx).acquireAll({ app: 'test', keys: tooMany, leaseId: id, waitMs: 1_000 }),
        'names',
        /at most 64/,
      );
      await rejectsOnField(multi(ctx).releaseAll([], id, 'test'), 'names', /at least 1/);
      await rejectsOnField(multi(ctx).releaseAll(tooMany, id, 'test'), 'names', /at most 64/);
      const sixtyFour = tooMany.slice(0, MAX_MULTI_LOCK_NAMES);
      assert.deepEqual(await heldBy(ctx, [tooMany[0]!, tooMany[64]!]), [undefined, undefined]);
      assert.equal(
        Object.keys(tokens(await multi(ctx).acquireAll({ app: 'test', keys: sixtyFour, leaseId: id })))
          .length,
        64,
      );
    },
  },
  {
    name: "another app's lease, or an unknown one, is LEASE_NOT_FOUND and takes nothing",
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = [`${ctx.prefix}a`, `${ctx.prefix}b`];
      const theirs = (await ctx.store.leases.grant({ app: 'orders', ttlMs: LONG_TTL_MS })).id;
      await rejectsWith(multi(ctx).acquireAll({ app: 'billing', keys, leaseId: theirs }), 'LEASE_NOT_FOUND');
      await rejectsWith(
        multi(ctx).acquireAll({ app: 'billing', keys, leaseId: theirs, waitMs: 200 }),
        'LEASE_NOT_FOUND',
      );
      const gone = await lease(ctx);
      await ctx.store.leases.revoke(gone, 'test');
      await rejectsWith(multi(ctx).acquireAll({ app: 'test', keys, leaseId: gone }), 'LEASE_NOT_FOUND');
      assert.deepEqual(await heldBy(ctx, keys), [undefined, undefined]);
      tokens(await multi(ctx).acquireAll({ app: 'orders', keys, leaseId: theirs }));
      const statuses = await multi(ctx).releaseAll(keys, theirs, 'billing');
      assert.deepEqual(statuses, { [keys[0]!]: 'held_by_other', [keys[1]!]: 'held_by_other' });
      assert.deepEqual(await heldBy(ctx, keys), [theirs, theirs]);
    },
  },
  {
    name: 'fencing tokens rise per name across single and composite grants',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const [a, b] = [`${ctx.prefix}a`, `${ctx.prefix}b`];
      const first = await lease(ctx);
      const single = token(await ctx.store.locks.acquire({ app: 'test', key: a, leaseId: first }));
      await ctx.store.leases.revoke(first, 'test');
      const second = await lease(ctx);
      const both = tokens(await multi(ctx).acquireAll({ app: 'test', keys: [a, b], leaseId: second }));
      assert.ok(both[a]! > single, `token ${both[a]} is not above ${single}`);
      assert.equal(await ctx.store.locks.check(a, single), false);
      await multi(ctx).releaseAll([a, b], second, 'test');
      const third = await lease(ctx);
      const later = token(await ctx.store.locks.acquire({ app: 'test', key: b, leaseId: third }));
      assert.ok(later > both[b]!, `token ${later} is not above ${both[b]}`);
      assert.equal(await ctx.store.locks.check(b, both[b]!), false);
    },
  },
];
