import assert from 'node:assert/strict';
import { rejectsWith } from '../conformance/case-helpers.js';
import type { ConformanceCase } from '../conformance/context.js';
import { idempotencyOf } from '../idempotency.js';

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
  {
    name: 'an add under an idempotency key applies once; a repeat returns the first value',
    needs: ['counters'],
    async run(ctx) {
      const counters = ctx.store.counters!;
      const name = `${ctx.prefix}idem-ctr`;
      const once = idempotencyOf('test', 'counters.add', name, 'k1', { delta: 5 });
      assert.equal(await counters.add(name, 5, once), 5);
      assert.equal(await counters.add(name, 5, once), 5);
      assert.equal(await counters.get(name), 5);
      await rejectsWith(
        counters.add(name, 7, idempotencyOf('test', 'counters.add', name, 'k1', { delta: 7 })),
        'IDEMPOTENCY_KEY_REUSED',
      );
      assert.equal(
        await counters.add(name, 1, idempotencyOf('other', 'counters.add', name, 'k1', { delta: 1 })),
        6,
      );
      assert.equal(await counters.get(name), 6);
    },
  },
];
