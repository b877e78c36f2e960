import assert from 'node:assert/strict';
import { lease } from '../conformance/case-helpers.js';
import type { ConformanceCase } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import type { WatchEvent } from '../types.js';

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
];
