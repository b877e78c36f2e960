import assert from 'node:assert/strict';
import { LONG_TTL_MS, lease, token } from '../conformance/case-helpers.js';
import type { ConformanceCase } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';

/** Leases: grant, keep-alive, revoke and expiry, observed through the locks they hold. */
export const leaseCases: ConformanceCase[] = [
  {
    name: 'a granted lease can be read, kept alive and revoked once',
    needs: ['leases'],
    async run(ctx) {
      const granted = await ctx.store.leases.grant({ app: 'test', ttlMs: LONG_TTL_MS, owner: 'worker-1' });
      assert.equal(typeof granted.id, 'string');
      assert.equal(granted.ttlMs >= LONG_TTL_MS, true);
      const detail = await ctx.store.leases.get(granted.id, 'test');
      assert.ok(detail);
      assert.equal(detail.owner, 'worker-1');
      assert.ok(detail.remainingMs > 0 && detail.remainingMs <= granted.ttlMs);
      assert.equal((await ctx.store.leases.keepAlive(granted.id, 'test'))?.id, granted.id);
      assert.equal(await ctx.store.leases.revoke(granted.id, 'test'), true);
      assert.equal(await ctx.store.leases.revoke(granted.id, 'test'), false);
      assert.equal(await ctx.store.leases.keepAlive(granted.id, 'test'), undefined);
      assert.equal(await ctx.store.leases.get(granted.id, 'test'), undefined);
    },
  },
  {
    name: 'a lease is never released early and is released soon after its TTL',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const id = await lease(ctx, ctx.ttlMs);
      const started = Date.now();
      token(await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}l`, leaseId: id }));
      await sleep(ctx.ttlMs / 2);
      assert.equal((await ctx.store.locks.describe(`${ctx.prefix}l`)).held, true, 'released before its TTL');
      const other = await lease(ctx);
      let acquired = false;
      while (!acquired && Date.now() - started < ctx.ttlMs + ctx.expirySlackMs) {
        acquired = (await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}l`, leaseId: other }))
          .acquired;
        if (!acquired) await sleep(50);
      }
      assert.equal(acquired, true, 'the lapsed lease still held its lock');
      assert.ok(Date.now() - started >= ctx.ttlMs - 5, 'released before its TTL had passed');
    },
  },
  {
    name: 'keep-alives hold a lease well past its TTL',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const id = await lease(ctx, ctx.ttlMs);
      token(await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}k`, leaseId: id }));
      const until = Date.now() + ctx.ttlMs * 2.5;
      while (Date.now() < until) {
        await sleep(ctx.ttlMs / 4);
        assert.ok(await ctx.store.leases.keepAlive(id, 'test'), 'keep-alive found no lease');
      }
      assert.equal((await ctx.store.locks.describe(`${ctx.prefix}k`)).leaseId, id);
    },
  },
  {
    name: 'a bulk keep-alive renews the live leases and names the ones that are gone or another app’s',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const keepAliveMany = ctx.store.leases.keepAliveMany?.bind(ctx.store.leases);
      if (!keepAliveMany) return;
      const held = await lease(ctx, ctx.ttlMs);
      token(await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}m`, leaseId: held }));
      const revoked = await lease(ctx);
      await ctx.store.leases.revoke(revoked, 'test');
      const foreign = (await ctx.store.leases.grant({ app: 'other', ttlMs: LONG_TTL_MS })).id;
      const lost = await keepAliveMany([held, revoked, foreign], 'test');
      assert.deepEqual([...lost].sort(), [revoked, foreign].sort());
      const until = Date.now() + ctx.ttlMs * 2.5;
      while (Date.now() < until) {
        await sleep(ctx.ttlMs / 4);
        assert.deepEqual(await keepAliveMany([held], 'test'), [], 'bulk keep-alive lost a live lease');
      }
      assert.equal((await ctx.store.locks.describe(`${ctx.prefix}m`)).leaseId, held);
      assert.deepEqual(await keepAliveMany([foreign], undefined), [], 'an admin renews any app’s lease');
    },
  },
];
