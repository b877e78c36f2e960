import assert from 'node:assert/strict';
import { lease, token } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import type { WatchEvent } from '../types.js';
import { within } from '../conformance/case-helpers.js';
import { multi, tokens } from './multi-lock-cases.js';

/** Takes `keys` for `leaseId` (waiting), then lets them all go. */
async function cycle(ctx: ConformanceContext, keys: readonly string[], leaseId: string): Promise<void> {
  tokens(await multi(ctx).acquireAll({ app: 'test', keys, leaseId, waitMs: 10_000 }));
  await multi(ctx).releaseAll(keys, leaseId, 'test');
}

/** A watch under the case's prefix; `live` resolves once every later change will be seen. */
function record(ctx: ConformanceContext) {
  const events: WatchEvent[] = [];
  let markLive: () => void = () => undefined;
  const live = new Promise<void>((resolve) => (markLive = resolve));
  const stop = ctx.store.watch.subscribe({
    prefix: ctx.prefix,
    onEvent: (event) => events.push(event),
    onLive: () => markLive(),
  });
  return { events, live, stop };
}

/** Fails when some composite grant's lock.acquired events are not adjacent in revision order. */
function assertContiguous(
  events: readonly WatchEvent[],
  composites: ReadonlySet<string>,
  size: number,
): void {
  const acquired = events
    .map((event, arrival) => ({ event, arrival }))
    .filter(({ event }) => event.type === 'lock.acquired')
    .sort((x, y) => x.event.revision - y.event.revision || x.arrival - y.arrival)
    .map(({ event }) => event);
  for (let i = 0; i < acquired.length; i++) {
    const leaseId = acquired[i]!.leaseId!;
    if (!composites.has(leaseId)) continue;
    const run = acquired.slice(i, i + size);
    const seen = run.map((e) => `${e.leaseId === leaseId ? 'same' : 'other'} lease on ${e.key}`);
    assert.ok(
      run.length === size && run.every((e) => e.leaseId === leaseId),
      `a composite grant was observed in part: ${seen.join(', ')}`,
    );
    assert.equal(new Set(run.map((e) => e.key)).size, size, 'a composite grant repeated a key');
    i += size - 1;
  }
}

/** Multi-locks under contention: reversed orders never deadlock, and no one ever sees a subset. */
export const multiLockRaceCases: ConformanceCase[] = [
  {
    name: 'multi-locks in reversed orders from two leases all finish, 100 times over',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const [x, y, z] = ['x', 'y', 'z'].map((n) => `${ctx.prefix}${n}`) as [string, string, string];
      const [a, b] = [await lease(ctx), await lease(ctx)];
      const started = Date.now();
      for (let round = 0; round < 100; round++) {
        const [first, second] = round % 2 === 0 ? [a, b] : [b, a];
        const keysFirst = round % 3 === 0 ? [x, y, z] : [x, y];
        const keysSecond = [...keysFirst].reverse();
        await within(
          5_000,
          `round ${round} of reversed multi-locks`,
          Promise.all([cycle(ctx, keysFirst, first), cycle(ctx, keysSecond, second)]),
        );
      }
      assert.ok(Date.now() - started < 60_000, 'the rounds took over a minute');
      for (const key of [x, y, z]) assert.equal((await ctx.store.locks.describe(key)).held, false);
    },
  },
  {
    name: "a composite grant's lock.acquired events are contiguous in revision order, amid single grants",
    needs: ['leases', 'locks', 'multiLock', 'watch'],
    async run(ctx) {
      const keys = ['a', 'b', 'c'].map((n) => `${ctx.prefix}${n}`);
      const watch = record(ctx);
      try {
        await within(3_000, 'the watch going live', watch.live);
        const composites = [await lease(ctx), await lease(ctx)];
        const singles = [await lease(ctx), await lease(ctx), await lease(ctx)];
        const rounds = 15;
        const single = async (leaseId: string, key: string) => {
          for (let round = 0; round < rounds; round++) {
            token(await ctx.store.locks.acquire({ app: 'test', key, leaseId, waitMs: 10_000 }));
            await sleep(round % 3);
            await ctx.store.locks.release(key, leaseId, 'test');
          }
        };
        const composite = async (leaseId: string, order: readonly string[]) => {
          for (let round = 0; round < rounds; round++) await cycle(ctx, order, leaseId);
        };
        await within(
          30_000,
          'the contended grants',
          Promise.all([
            composite(composites[0]!, keys),
            composite(composites[1]!, [...keys].reverse()),
            ...singles.map((id, i) => single(id, keys[i]!)),
          ]),
        );
        const expected = rounds * (2 * keys.length + singles.length);
        const count = () => watch.events.filter((e) => e.type === 'lock.acquired').length;
        const deadline = Date.now() + 3_000;
        while (count() < expected && Date.now() < deadline) await sleep(20);
        assert.equal(count(), expected, 'the watch missed or repeated grants');
        assertContiguous(watch.events, new Set(composites), keys.length);
      } finally {
        watch.stop();
      }
    },
  },
  {
    name: 'a describe racing a composite grant never sees part of the set held',
    needs: ['leases', 'locks', 'multiLock'],
    async run(ctx) {
      const [a, b] = [`${ctx.prefix}a`, `${ctx.prefix}b`];
      for (let round = 0; round < 10; round++) {
        const [holder, taker] = [await lease(ctx), await lease(ctx)];
        token(await ctx.store.locks.acquire({ app: 'test', key: b, leaseId: holder }));
        const granted = multi(ctx).acquireAll({ app: 'test', keys: [a, b], leaseId: taker, waitMs: 10_000 });
        let done = false;
        // The taker never lets go while this polls: once `first` is seen its, `second` must be too.
        const poll = async (first: string, second: string) => {
          while (!done) {
            await sleep(0); // yield to timers: an in-process store answers in microtasks
            if ((await ctx.store.locks.describe(first)).leaseId !== taker) continue;
            const then = (await ctx.store.locks.describe(second)).leaseId;
            assert.equal(then, taker, `${first} was seen held without ${second}: a subset`);
          }
        };
        const pollers = [poll(a, b), poll(b, a)];
        await sleep(5);
        await ctx.store.locks.release(b, holder, 'test');
        tokens(await granted);
        await sleep(5);
        done = true;
        await Promise.all(pollers);
        await ctx.store.leases.revoke(taker, 'test');
        await ctx.store.leases.revoke(holder, 'test');
      }
    },
  },
];
