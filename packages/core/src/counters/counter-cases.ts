import assert from 'node:assert/strict';
import type { ConformanceCase } from '../conformance/context.js';

/** Counters: add, read and set. */
export const counterCases: ConformanceCase[] = [
  {
    name: 'counters add, read and set',
    needs: ['counters'],
    async run(ctx) {
      const name = `${ctx.prefix}ctr`;
      assert.equal(await ctx.store.counters!.get(name), 0);
      assert.equal(await ctx.store.counters!.add(name, 5), 5);
      assert.equal(await ctx.store.counters!.add(name, -2), 3);
      await ctx.store.counters!.set(name, 40);
      assert.equal(await ctx.store.counters!.add(name, 2), 42);
      assert.equal(await ctx.store.counters!.get(name), 42);
    },
  },
];
