import assert from 'node:assert/strict';
import { lease } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import { grantedRw, rw, take, until } from './rwlock-cases.js';
import type { RwLockMode } from './rwlock-store.js';

/** Queues a waiting acquire in `mode` on a new lease; its grant lands in `order` under `label`. */
async function queue(ctx: ConformanceContext, key: string, mode: RwLockMode, order: string[], label: string) {
  const leaseId = await lease(ctx);
  const before = (await rw(ctx).describe(key))?.waiters ?? 0;
  const result = rw(ctx)
    .acquire({ app: 'test', key, leaseId, mode, waitMs: 10_000 })
    .then((r) => {
      order.push(label);
      return grantedRw(r);
    });
  // Let the acquire reach the store's queue before the next one joins.
  await until(async () => ((await rw(ctx).describe(key))?.waiters ?? 0) > before || order.includes(label));
  return { leaseId, result };
}

/** Read/write locks: task-fair FIFO, runs of readers granted together, hand-off on a lease's end. */
export const rwLockWaitCases: ConformanceCase[] = [
  {
    name: 'R1 holds, W queued: a later reader R2 waits for W rather than joining R1',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}fair`;
      const r1 = await take(ctx, key, 'read');
      const order: string[] = [];
      const w = await queue(ctx, key, 'write', order, 'w');
      const r2 = await queue(ctx, key, 'read', order, 'r2');
      await sleep(30);
      assert.deepEqual(order, [], 'a reader passed a queued writer');
      await rw(ctx).release(key, r1.leaseId, 'test');
      await w.result;
      await sleep(30);
      assert.deepEqual(order, ['w']);
      await rw(ctx).release(key, w.leaseId, 'test');
      await r2.result;
      assert.deepEqual(order, ['w', 'r2']);
    },
  },
  {
    name: 'W holds, R2 and R3 queued: releasing W grants both readers in one step',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}run`;
      const w = await take(ctx, key, 'write');
      const order: string[] = [];
      const r2 = await queue(ctx, key, 'read', order, 'r2');
      const r3 = await queue(ctx, key, 'read', order, 'r3');
      await rw(ctx).release(key, w.leaseId, 'test');
      const info = await rw(ctx).describe(key);
      assert.deepEqual(
        info?.holders.map((h) => [h.leaseId, h.mode]),
        [
          [r2.leaseId, 'read'],
          [r3.leaseId, 'read'],
        ],
        'both readers hold once the release returns',
      );
      assert.equal(info?.waiters, 0);
      const [t2, t3] = await Promise.all([r2.result, r3.result]);
      assert.ok(t2 > w.token && t3 > w.token);
    },
  },
  {
    name: 'no reader waits on a later writer: W0 holds, R1 then W2 queued, R1 is granted first',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}later`;
      const w0 = await take(ctx, key, 'write');
      const order: string[] = [];
      const r1 = await queue(ctx, key, 'read', order, 'r1');
      const w2 = await queue(ctx, key, 'write', order, 'w2');
      await rw(ctx).release(key, w0.leaseId, 'test');
      await r1.result;
      await sleep(30);
      assert.deepEqual(order, ['r1']);
      await rw(ctx).release(key, r1.leaseId, 'test');
      await w2.result;
      assert.deepEqual(order, ['r1', 'w2']);
    },
  },
  {
    name: "a reader's lease expiring hands the lock to the queued writer",
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}exp`;
      const short = await lease(ctx, ctx.ttlMs);
      const r = await take(ctx, key, 'read', short);
      const order: string[] = [];
      const started = Date.now();
      const w = await queue(ctx, key, 'write', order, 'w');
      const token = await w.result;
      assert.ok(Date.now() - started < ctx.ttlMs + ctx.expirySlackMs + 1_000, 'the hand-off came late');
      assert.ok(token > r.token);
      assert.equal(await rw(ctx).check(key, r.token), false);
      assert.equal((await rw(ctx).describe(key))?.mode, 'write');
    },
  },
  {
    name: 'a downgrade lets the run of readers at the queue head join, and no one behind a writer',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}join`;
      const w = await take(ctx, key, 'write');
      const order: string[] = [];
      const r1 = await queue(ctx, key, 'read', order, 'r1');
      const w2 = await queue(ctx, key, 'write', order, 'w2');
      const r3 = await queue(ctx, key, 'read', order, 'r3');
      await take(ctx, key, 'read', w.leaseId);
      await r1.result;
      await sleep(30);
      assert.deepEqual(order, ['r1']);
      await rw(ctx).release(key, w.leaseId, 'test');
      await rw(ctx).release(key, r1.leaseId, 'test');
      await w2.result;
      await rw(ctx).release(key, w2.leaseId, 'test');
      await r3.result;
      assert.deepEqual(order, ['r1', 'w2', 'r3']);
    },
  },
  {
    name: 'a recorded history of 8 clients in mixed modes never has a writer beside anyone',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}hist`;
      const held = { read: 0, write: 0 };
      const client = async (i: number) => {
        const leaseId = await lease(ctx);
        for (let round = 0; round < 4; round++) {
          const mode: RwLockMode = (i + round) % 3 === 0 ? 'write' : 'read';
          grantedRw(await rw(ctx).acquire({ app: 'test', key, leaseId, mode, waitMs: 20_000 }));
          held[mode]++;
          assert.ok(
            held.write <= 1 && (held.write === 0 || held.read === 0),
            `overlap: ${JSON.stringify(held)}`,
          );
          await sleep(2);
          held[mode]--;
          await rw(ctx).release(key, leaseId, 'test');
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, i) => client(i)));
      assert.equal(await rw(ctx).describe(key), undefined, 'an idle lock is gone');
    },
  },
];
