import assert from 'node:assert/strict';
import { lease } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import { granted, hold, sems } from './semaphore-cases.js';
import type { PermitAcquireResult } from './semaphore-store.js';

/** Queues a waiting acquire of `permits` on a new lease; its grant lands in `order` under `label`. */
async function queue(ctx: ConformanceContext, key: string, permits: number, order: string[], label: string) {
  const leaseId = await lease(ctx);
  const before = (await sems(ctx).describe(key))?.waiters ?? 0;
  const result = sems(ctx)
    .acquire({ app: 'test', key, leaseId, permits, waitMs: 10_000 })
    .then((r: PermitAcquireResult) => {
      order.push(label);
      return granted(r);
    });
  // Let the acquire reach the store's queue before the next one joins (on a networked store the
  // join takes round trips, so wait for the queue to grow, not merely to be non-empty).
  await waitUntil(
    async () => ((await sems(ctx).describe(key))?.waiters ?? 0) > before || order.includes(label),
  );
  return { leaseId, result };
}

async function waitUntil(check: () => Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check()) && Date.now() < deadline) await sleep(10);
}

async function used(ctx: ConformanceContext, key: string): Promise<number | undefined> {
  return (await sems(ctx).describe(key))?.used;
}

/** Semaphores: strict FIFO with head-of-line blocking, hand-off, resizing and a lease's end. */
export const semaphoreWaitCases: ConformanceCase[] = [
  {
    name: 'waiters of sizes 1, 3, 1 are granted in order: a 3-permit head is never overtaken',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}fifo`;
      const full = await hold(ctx, key, 3, 3);
      const order: string[] = [];
      const a = await queue(ctx, key, 1, order, 'a');
      const b = await queue(ctx, key, 3, order, 'b');
      const c = await queue(ctx, key, 1, order, 'c');
      assert.equal((await sems(ctx).describe(key))?.waiters, 3);
      await sems(ctx).release(key, full.leaseId, 'test');
      await a.result;
      await sleep(50);
      assert.deepEqual(order, ['a'], 'the 1-permit waiter behind the 3-permit head was granted first');
      assert.equal(await used(ctx, key), 1);
      await sems(ctx).release(key, a.leaseId, 'test');
      await b.result;
      await sems(ctx).release(key, b.leaseId, 'test');
      await c.result;
      assert.deepEqual(order, ['a', 'b', 'c']);
    },
  },
  {
    name: 'a try-acquire is refused while a queue exists, though permits are free',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}try`;
      const x = await hold(ctx, key, 2, 1);
      await hold(ctx, key, 2, 1);
      const order: string[] = [];
      const w = await queue(ctx, key, 2, order, 'w');
      await sems(ctx).release(key, x.leaseId, 'test');
      const id = await lease(ctx);
      const refused = await sems(ctx).acquire({ app: 'test', key, leaseId: id, permits: 1 });
      assert.deepEqual(refused, { acquired: false, available: 1, waiters: 1 });
      assert.deepEqual(order, []);
      const failed = w.result.catch((error: unknown) => error);
      await ctx.store.leases.revoke(w.leaseId, 'test');
      assert.equal(((await failed) as { code?: string }).code, 'LEASE_NOT_FOUND');
    },
  },
  {
    name: 'revoking a lease frees its permits and hands them off in the same step',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}rv`;
      const a = await hold(ctx, key, 2, 2);
      const order: string[] = [];
      const w = await queue(ctx, key, 2, order, 'w');
      await ctx.store.leases.revoke(a.leaseId, 'test');
      const token = await w.result;
      assert.ok(token > a.token);
      assert.equal(await sems(ctx).check(key, a.token), false);
      assert.equal(await used(ctx, key), 2);
    },
  },
  {
    name: 'an expired lease frees its permits and the head waiter gets them',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}ex`;
      const short = await lease(ctx, ctx.ttlMs);
      granted(await sems(ctx).acquire({ app: 'test', key, leaseId: short, limit: 1, permits: 1 }));
      const order: string[] = [];
      const started = Date.now();
      const w = await queue(ctx, key, 1, order, 'w');
      await w.result;
      assert.ok(Date.now() - started < ctx.ttlMs + ctx.expirySlackMs + 1_000, 'the hand-off came late');
      assert.deepEqual(
        (await sems(ctx).describe(key))?.holders.map((h) => h.leaseId),
        [w.leaseId],
      );
    },
  },
  {
    name: 'lowering the limit revokes nothing; raising it grants waiters at once',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}lim`;
      const a = await hold(ctx, key, 2, 2);
      const order: string[] = [];
      const w = await queue(ctx, key, 1, order, 'w');
      await sems(ctx).setLimit(key, 1, 2);
      assert.equal(await sems(ctx).check(key, a.token), true, 'lowering revoked a grant');
      assert.equal(await used(ctx, key), 2);
      await sleep(30);
      assert.deepEqual(order, []);
      const raised = await sems(ctx).setLimit(key, 3);
      await w.result;
      assert.equal(raised.limit, 3);
      assert.equal(await used(ctx, key), 3);
    },
  },
  {
    name: 'a hold deadline frees the permits and hands them off',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}hold`;
      const id = await lease(ctx);
      const args = { app: 'test', key, leaseId: id, limit: 1, permits: 1, maxHoldMs: ctx.ttlMs };
      const t = granted(await sems(ctx).acquire(args));
      const order: string[] = [];
      const w = await queue(ctx, key, 1, order, 'w');
      await w.result;
      assert.equal(await sems(ctx).check(key, t), false);
    },
  },
  {
    name: 'Σ permits held never exceeds the limit in a history of 16 concurrent clients',
    needs: ['leases', 'semaphores'],
    async run(ctx) {
      const key = `${ctx.prefix}sum`;
      const limit = 5;
      let inUse = 0;
      let peak = 0;
      const client = async (i: number) => {
        for (let round = 0; round < 4; round++) {
          const leaseId = await lease(ctx);
          const permits = 1 + ((i + round) % 3);
          const args = { app: 'test', key, leaseId, limit, permits, waitMs: 10_000 };
          granted(await sems(ctx).acquire(args));
          // Between the grant's reply and the release's request the permits are surely held.
          inUse += permits;
          peak = Math.max(peak, inUse);
          assert.ok(inUse <= limit, `${inUse} permits held at once, limit ${limit}`);
          await sleep(i % 4);
          inUse -= permits;
          await sems(ctx).release(key, leaseId, 'test');
          await ctx.store.leases.revoke(leaseId, 'test');
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, i) => client(i)));
      assert.ok(peak > 1, 'the clients never overlapped');
    },
  },
];
