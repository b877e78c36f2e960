import assert from 'node:assert/strict';
import { LONG_TTL_MS, lease, token } from '../conformance/case-helpers.js';
import type { ConformanceCase } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import { daprOf } from './dapr-mapping.js';

/** Dapr's lock API: its semantics, its expiry, and one lock table shared with native locks. */
export const daprCases: ConformanceCase[] = [
  {
    name: 'Dapr TryLock and Unlock follow Dapr semantics',
    needs: ['leases', 'locks', 'dapr'],
    async run(ctx) {
      const key = `${ctx.prefix}dapr`;
      assert.equal((await daprOf(ctx.store).tryLock(key, 'owner-a', LONG_TTL_MS, 'test')).acquired, true);
      assert.equal(
        (await daprOf(ctx.store).tryLock(key, 'owner-a', LONG_TTL_MS, 'test')).acquired,
        false,
        'must not be re-entrant',
      );
      assert.equal((await daprOf(ctx.store).tryLock(key, 'owner-b', LONG_TTL_MS, 'test')).acquired, false);
      assert.equal(await daprOf(ctx.store).unlock(key, 'owner-b', 'test'), 2);
      assert.equal(await daprOf(ctx.store).unlock(key, 'owner-a', 'test'), 0);
      assert.equal(await daprOf(ctx.store).unlock(key, 'owner-a', 'test'), 1);
      assert.equal((await daprOf(ctx.store).tryLock(key, 'owner-b', LONG_TTL_MS, 'test')).acquired, true);
    },
  },
  {
    name: 'a Dapr lock expires after its TTL and then unlocks as absent',
    needs: ['leases', 'locks', 'dapr'],
    async run(ctx) {
      const key = `${ctx.prefix}dexp`;
      assert.equal((await daprOf(ctx.store).tryLock(key, 'a', ctx.ttlMs, 'test')).acquired, true);
      await sleep(ctx.ttlMs + ctx.expirySlackMs);
      assert.equal(await daprOf(ctx.store).unlock(key, 'a', 'test'), 1);
      assert.equal((await daprOf(ctx.store).tryLock(key, 'b', LONG_TTL_MS, 'test')).acquired, true);
    },
  },
  {
    name: 'Dapr locks and native locks on one key exclude each other',
    needs: ['leases', 'locks', 'dapr'],
    async run(ctx) {
      const key = `${ctx.prefix}mixed`;
      const result = await daprOf(ctx.store).tryLock(key, 'dapr-owner', LONG_TTL_MS, 'test');
      const daprToken = token(result);
      const native = await lease(ctx);
      assert.equal((await ctx.store.locks.acquire({ app: 'test', key, leaseId: native })).acquired, false);
      assert.equal(await daprOf(ctx.store).unlock(key, 'dapr-owner', 'test'), 0);
      assert.ok(token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: native })) > daprToken);
      assert.equal((await daprOf(ctx.store).tryLock(key, 'dapr-owner', LONG_TTL_MS, 'test')).acquired, false);
    },
  },
];
