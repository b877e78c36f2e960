import assert from 'node:assert/strict';
import { lease, token } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import type { AcquireAllResult } from './multi-lock-store.js';
import { heldBy, holderIds, multi, tokens } from './multi-lock-cases.js';

/** Names under the case's prefix. */
function keysOf(ctx: ConformanceContext, ...names: string[]): string[] {
  return names.map((name) => `${ctx.prefix}${name}`);
}

async function waitUntil(check: () => Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check()) && Date.now() < deadline) await sleep(10);
}

async function waiters(ctx: ConformanceContext, key: string): Promise<number> {
  return (await ctx.store.locks.describe(key)).waiters;
}

/** Holds `key` on a new lease; returns the lease id. */
async function holdOne(ctx: ConformanceContext, key: string): Promise<string> {
  const id = await lease(ctx);
  token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: id }));
  return id;
}

/**
 * Starts a composite acquire of `keys` on a new lease that must wait behind `blocked`, and returns
 * once it is queued there (on a networked store the join takes round trips).
 */
async function queueAll(
  ctx: ConformanceContext,
  keys: readonly string[],
  blocked: string,
  options: { waitMs?: number; signal?: AbortSignal } = {},
) {
  const leaseId = await lease(ctx);
  const before = await waiters(ctx, blocked);
  let settled = false;
  const waitMs = options.waitMs ?? 10_000;
  const result = multi(ctx)
    .acquireAll({ app: 'test', keys, leaseId, waitMs, ...(options.signal ? { signal: options.signal } : {}) })
    .finally(() => (settled = true));
  await waitUntil(async () => settled || (await waiters(ctx, blocked)) > before);
  return { leaseId, result, settled: () => settled };
}

/** Asserts that no key of `keys` is held or waited for: a composite that gave up left nothing. */
async function leftNothing(ctx: ConformanceContext, keys: readonly string[], except: string): Promise<void> {
  for (const key of keys.filter((k) => k !== except)) {
    const info = await ctx.store.locks.describe(key);
    assert.equal(info.held, false, `${key} is held after the composite gave up`);
    assert.equal(info.waiters, 0, `${key} still has a queue entry after the composite gave up`);
  }
  assert.equal(await waiters(ctx, except), 0, `${except} still has a queue entry`);
}

/** Multi-locks: waiting holds nothing, FIFO across composites and singles, no deadlock, no subset. */
export const multiLockWaitCases: ConformanceCase[] = [
  {
    name: 'a waiting composite holds nothing, joins every queue, and is granted all at once',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = keysOf(ctx, 'a', 'b', 'c');
      const [h1, h2] = [await holdOne(ctx, keys[0]!), await holdOne(ctx, keys[2]!)];
      const w = await queueAll(ctx, keys, keys[2]!);
      for (const key of keys) assert.equal(await waiters(ctx, key), 1, `${key} does not list the composite`);
      await ctx.store.locks.release(keys[0]!, h1, 'test');
      await sleep(50);
      assert.equal(w.settled(), false, 'granted while one of its locks was held');
      assert.deepEqual(
        await heldBy(ctx, keys),
        [undefined, undefined, h2],
        'a waiting composite holds a subset',
      );
      await ctx.store.locks.release(keys[2]!, h2, 'test');
      const granted = tokens(await w.result);
      assert.deepEqual(Object.keys(granted).sort(), [...keys].sort());
      assert.deepEqual(await heldBy(ctx, keys), [w.leaseId, w.leaseId, w.leaseId]);
    },
  },
  {
    name: 'FIFO: a later single waiter on a free name waits behind an earlier composite',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const [a, b] = keysOf(ctx, 'a', 'b') as [string, string];
      const holder = await holdOne(ctx, b);
      const w = await queueAll(ctx, [a, b], b);
      const late = await lease(ctx);
      const tried = await ctx.store.locks.acquire({ app: 'test', key: a, leaseId: late });
      assert.equal(tried.acquired, false, 'a try took a free name a composite waits for');
      let single = false;
      const waiting = ctx.store.locks
        .acquire({ app: 'test', key: a, leaseId: late, waitMs: 10_000 })
        .finally(() => (single = true));
      await waitUntil(async () => (await waiters(ctx, a)) === 2);
      await sleep(30);
      assert.equal(single, false, 'the later single waiter overtook the composite');
      await ctx.store.locks.release(b, holder, 'test');
      const granted = tokens(await w.result);
      await sleep(30);
      assert.equal(single, false, 'the single waiter was granted a lock the composite holds');
      await ctx.store.locks.release(a, w.leaseId, 'test');
      assert.ok(token(await waiting) > granted[a]!);
    },
  },
  {
    name: 'FIFO: a later composite, waiting or trying, never passes an earlier one on a free name',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const [a, b, c] = keysOf(ctx, 'a', 'b', 'c') as [string, string, string];
      const holder = await holdOne(ctx, b);
      const first = await queueAll(ctx, [a, b], b);
      const late = await lease(ctx);
      const tried = await multi(ctx).acquireAll({ app: 'test', keys: [a, c], leaseId: late });
      assert.deepEqual(holderIds(tried), {}, 'a try took free names an earlier composite waits for');
      const second = await queueAll(ctx, [c, a], a);
      await sleep(30);
      assert.equal(second.settled(), false, 'the later composite overtook the earlier one');
      assert.deepEqual(
        await heldBy(ctx, [a, c]),
        [undefined, undefined],
        'a waiting composite holds a subset',
      );
      await ctx.store.locks.release(b, holder, 'test');
      const granted = tokens(await first.result);
      await sleep(30);
      assert.equal(second.settled(), false, 'granted a lock the earlier composite holds');
      await multi(ctx).releaseAll([a, b], first.leaseId, 'test');
      assert.ok(tokens(await second.result)[a]! > granted[a]!);
      assert.deepEqual(await heldBy(ctx, [a, b, c]), [second.leaseId, undefined, second.leaseId]);
    },
  },
  {
    name: 'a timed-out composite waiter holds nothing and leaves no queue entry',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = keysOf(ctx, 'a', 'b', 'c');
      const holder = await holdOne(ctx, keys[1]!);
      const started = Date.now();
      const w = await queueAll(ctx, keys, keys[1]!, { waitMs: 300 });
      const outcome: AcquireAllResult = await w.result;
      assert.equal(outcome.acquired, false);
      assert.ok(Date.now() - started >= 250, 'gave up before its wait was over');
      await leftNothing(ctx, keys, keys[1]!);
      const later = await lease(ctx);
      assert.equal(
        token(await ctx.store.locks.acquire({ app: 'test', key: keys[0]!, leaseId: later })) > 0,
        true,
      );
      await ctx.store.locks.release(keys[1]!, holder, 'test');
      assert.equal(
        (await ctx.store.locks.describe(keys[1]!)).held,
        false,
        'the lock went to a waiter that left',
      );
    },
  },
  {
    name: 'an aborted composite waiter holds nothing, leaves every queue, and lets those behind it go',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = keysOf(ctx, 'a', 'b', 'c');
      const holder = await holdOne(ctx, keys[2]!);
      const abort = new AbortController();
      const w = await queueAll(ctx, keys, keys[2]!, { signal: abort.signal });
      const behind = await lease(ctx);
      const single = ctx.store.locks.acquire({ app: 'test', key: keys[0]!, leaseId: behind, waitMs: 10_000 });
      await waitUntil(async () => (await waiters(ctx, keys[0]!)) === 2);
      abort.abort();
      assert.equal((await w.result).acquired, false);
      token(await single);
      await ctx.store.locks.release(keys[0]!, behind, 'test');
      await leftNothing(ctx, keys, keys[2]!);
      await ctx.store.locks.release(keys[2]!, holder, 'test');
      assert.deepEqual(await heldBy(ctx, keys), [undefined, undefined, undefined]);
    },
  },
  {
    name: 'revoking a waiting lease fails its composite with LEASE_NOT_FOUND, holding nothing',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = keysOf(ctx, 'a', 'b');
      const holder = await holdOne(ctx, keys[1]!);
      const w = await queueAll(ctx, keys, keys[1]!);
      const failed = w.result.catch((error: unknown) => error);
      await ctx.store.leases.revoke(w.leaseId, 'test');
      assert.equal(((await failed) as { code?: string }).code, 'LEASE_NOT_FOUND');
      await leftNothing(ctx, keys, keys[1]!);
      await ctx.store.locks.release(keys[1]!, holder, 'test');
      assert.deepEqual(await heldBy(ctx, keys), [undefined, undefined]);
    },
  },
  {
    name: 'a composite hold deadline releases each lock of the set',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const keys = keysOf(ctx, 'a', 'b');
      const id = await lease(ctx);
      const started = Date.now();
      tokens(await multi(ctx).acquireAll({ app: 'test', keys, leaseId: id, maxHoldMs: ctx.ttlMs }));
      const bound = ctx.ttlMs + ctx.expirySlackMs + 1_000;
      await waitUntil(async () => (await heldBy(ctx, keys)).every((held) => held === undefined), bound);
      assert.deepEqual(await heldBy(ctx, keys), [undefined, undefined], 'the hold deadline was not kept');
      assert.ok(Date.now() - started >= ctx.ttlMs - 50, 'released before its hold deadline');
    },
  },
];
