import assert from 'node:assert/strict';
import { lease, rejectsWith, token } from '../conformance/case-helpers.js';
import type { ConformanceCase } from '../conformance/context.js';
import { idempotencyOf } from '../idempotency.js';

/** Keys: versions and revisions, compare-and-set, and writes fenced by a lock's token. */
export const kvCases: ConformanceCase[] = [
  {
    name: 'put, get and delete keep versions and revisions',
    needs: ['kv'],
    async run(ctx) {
      const key = `${ctx.prefix}kv`;
      const first = await ctx.store.kv!.put({ app: 'test', key, value: 'one' });
      assert.equal(first.version, 1);
      const second = await ctx.store.kv!.put({ app: 'test', key, value: 'two' });
      assert.equal(second.version, 2);
      assert.ok(second.revision > first.revision);
      const entry = await ctx.store.kv!.get(key);
      assert.equal(entry?.value, 'two');
      assert.equal(entry?.version, 2);
      assert.equal(entry?.revision, second.revision);
      assert.equal(await ctx.store.kv!.delete(key), true);
      assert.equal(await ctx.store.kv!.delete(key), false);
      assert.equal(await ctx.store.kv!.get(key), undefined);
    },
  },
  {
    name: 'ifVersion guards a put and a mismatch changes nothing',
    needs: ['kv'],
    async run(ctx) {
      const key = `${ctx.prefix}cas`;
      await ctx.store.kv!.put({ app: 'test', key, value: 'a', ifVersion: 0 });
      await rejectsWith(
        ctx.store.kv!.put({ app: 'test', key, value: 'b', ifVersion: 0 }),
        'VERSION_MISMATCH',
      );
      await rejectsWith(
        ctx.store.kv!.put({ app: 'test', key, value: 'b', ifVersion: 7 }),
        'VERSION_MISMATCH',
      );
      assert.equal((await ctx.store.kv!.get(key))?.value, 'a');
      assert.equal((await ctx.store.kv!.put({ app: 'test', key, value: 'c', ifVersion: 1 })).version, 2);
    },
  },
  {
    name: 'a fenced put is refused once its token is stale, and changes nothing',
    needs: ['leases', 'locks', 'kv'],
    async run(ctx) {
      const lock = `${ctx.prefix}fl`;
      const key = `${ctx.prefix}fk`;
      const a = await lease(ctx);
      const tokenA = token(await ctx.store.locks.acquire({ app: 'test', key: lock, leaseId: a }));
      await ctx.store.kv!.put({ app: 'test', key, value: 'from-a', fence: { key: lock, token: tokenA } });
      await ctx.store.leases.revoke(a, 'test');
      const b = await lease(ctx);
      const tokenB = token(await ctx.store.locks.acquire({ app: 'test', key: lock, leaseId: b }));
      await rejectsWith(
        ctx.store.kv!.put({ app: 'test', key, value: 'late-a', fence: { key: lock, token: tokenA } }),
        'FENCED',
      );
      assert.equal((await ctx.store.kv!.get(key))?.value, 'from-a');
      await ctx.store.kv!.put({ app: 'test', key, value: 'from-b', fence: { key: lock, token: tokenB } });
      assert.equal((await ctx.store.kv!.get(key))?.value, 'from-b');
    },
  },
  {
    name: 'a put under an idempotency key applies once; a repeat replays the first result',
    needs: ['kv'],
    async run(ctx) {
      const kv = ctx.store.kv!;
      const key = `${ctx.prefix}idem`;
      const once = idempotencyOf('test', 'kv.put', key, 'k1', { value: 'one' });
      const first = await kv.put({ app: 'test', key, value: 'one', ...(once && { idempotency: once }) });
      assert.deepEqual(
        await kv.put({ app: 'test', key, value: 'one', ...(once && { idempotency: once }) }),
        first,
      );
      const entry = await kv.get(key);
      assert.equal(entry?.version, 1);
      assert.equal(entry?.revision, first.revision);
      const other = idempotencyOf('test', 'kv.put', key, 'k1', { value: 'two' });
      await rejectsWith(
        kv.put({ app: 'test', key, value: 'two', ...(other && { idempotency: other }) }),
        'IDEMPOTENCY_KEY_REUSED',
      );
      assert.equal((await kv.get(key))?.value, 'one');
    },
  },
];
