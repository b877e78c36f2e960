import assert from 'node:assert/strict';
import { lease } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import type { WatchEvent } from '../types.js';
import type { WatchOptions } from './watch-store.js';

/** A watch under the case's prefix that records what it gets, and resolves `live` when live. */
function record(ctx: ConformanceContext, afterRevision?: number) {
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  let markLive: () => void = () => undefined;
  const live = new Promise<void>((resolve) => (markLive = resolve));
  const options: WatchOptions = {
    prefix: ctx.prefix,
    ...(afterRevision === undefined ? {} : { afterRevision }),
    onEvent: (event) => events.push(event),
    onLive: () => markLive(),
    onError: (error) => errors.push(error),
  };
  const stop = ctx.store.watch.subscribe(options);
  return { events, errors, live, stop };
}

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!check() && Date.now() < deadline) await sleep(20);
}

function inOrderOnce(events: readonly WatchEvent[]): void {
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision);
}

/** The change feed: key and lock events under a prefix, in revision order. */
export const watchCases: ConformanceCase[] = [
  {
    name: 'a watch sees puts, deletes and lock events in revision order',
    needs: ['leases', 'locks', 'kv', 'watch'],
    async run(ctx) {
      const events: WatchEvent[] = [];
      const stop = ctx.store.watch.subscribe({ prefix: ctx.prefix, onEvent: (e) => events.push(e) });
      try {
        await sleep(100);
        const id = await lease(ctx);
        await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}w`, value: 'x' });
        await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}wl`, leaseId: id });
        await ctx.store.locks.release(`${ctx.prefix}wl`, id, 'test');
        await ctx.store.kv!.delete(`${ctx.prefix}w`);
        const deadline = Date.now() + 3_000;
        while (events.length < 4 && Date.now() < deadline) await sleep(20);
      } finally {
        stop();
      }
      assert.deepEqual(
        events.map((e) => [e.type, e.key]),
        [
          ['put', `${ctx.prefix}w`],
          ['lock.acquired', `${ctx.prefix}wl`],
          ['lock.released', `${ctx.prefix}wl`],
          ['delete', `${ctx.prefix}w`],
        ],
      );
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision);
    },
  },
  {
    name: 'a live watch sees every change made after it reported live',
    needs: ['kv', 'watch'],
    async run(ctx) {
      const watch = record(ctx);
      try {
        await watch.live;
        const keys = Array.from({ length: 20 }, (_, i) => `${ctx.prefix}live/${i}`);
        await Promise.all(keys.map((key) => ctx.store.kv!.put({ app: 'test', key, value: 'x' })));
        await waitFor(() => watch.events.length >= keys.length);
      } finally {
        watch.stop();
      }
      assert.equal(watch.events.length, 20);
      assert.deepEqual(watch.errors, []);
      inOrderOnce(watch.events);
    },
  },
  {
    name: 'a resume replays each change after its revision once, in order, then goes on live',
    needs: ['kv', 'watch'],
    async run(ctx) {
      const put = (key: string) => ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}${key}`, value: key });
      const first = await put('r/a');
      await put('r/b');
      await put('r/c');
      const watch = record(ctx, first.revision);
      try {
        await watch.live;
        await put('r/d');
        await waitFor(() => watch.events.length >= 3);
        await sleep(100);
      } finally {
        watch.stop();
      }
      assert.deepEqual(watch.errors, []);
      assert.deepEqual(
        watch.events.map((e) => e.key),
        ['r/b', 'r/c', 'r/d'].map((key) => `${ctx.prefix}${key}`),
      );
      inOrderOnce(watch.events);
    },
  },
];
