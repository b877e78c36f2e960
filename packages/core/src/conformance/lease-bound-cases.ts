import assert from 'node:assert/strict';
import { lease, rejectsWith, token } from './case-helpers.js';
import type { ConformanceCase } from './context.js';

/** What a lease binds across primitives: its locks and its keys live and end with it. */
export const leaseBoundCases: ConformanceCase[] = [
  {
    name: 'an unknown lease cannot acquire, keep alive or bind keys',
    needs: ['leases', 'locks', 'kv'],
    async run(ctx) {
      await rejectsWith(
        ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}x`, leaseId: 'no-such-lease' }),
        'LEASE_NOT_FOUND',
      );
      assert.equal(await ctx.store.leases.keepAlive('no-such-lease', 'test'), undefined);
      await rejectsWith(
        ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}k`, value: 'v', leaseId: 'no-such-lease' }),
        'LEASE_NOT_FOUND',
      );
      assert.equal(await ctx.store.kv!.get(`${ctx.prefix}k`), undefined);
    },
  },
  {
    name: 'revoking a lease releases its locks and deletes its keys together',
    needs: ['leases', 'locks', 'kv'],
    async run(ctx) {
      const id = await lease(ctx);
      token(await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}a`, leaseId: id }));
      token(await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}b`, leaseId: id }));
      await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}k`, value: 'v', leaseId: id });
      const detail = await ctx.store.leases.get(id, 'test');
      assert.deepEqual([...(detail?.locks ?? [])].sort(), [`${ctx.prefix}a`, `${ctx.prefix}b`]);
      assert.deepEqual(detail?.keys, [`${ctx.prefix}k`]);
      assert.equal(await ctx.store.leases.revoke(id, 'test'), true);
      assert.equal((await ctx.store.locks.describe(`${ctx.prefix}a`)).held, false);
      assert.equal((await ctx.store.locks.describe(`${ctx.prefix}b`)).held, false);
      assert.equal(await ctx.store.kv!.get(`${ctx.prefix}k`), undefined);
    },
  },
];
