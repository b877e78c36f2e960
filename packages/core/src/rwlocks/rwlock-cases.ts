import assert from 'node:assert/strict';
import { LONG_TTL_MS, lease, rejectsWith } from '../conformance/case-helpers.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import type { WatchEvent } from '../types.js';
import type { RwLockAcquireResult, RwLockMode, RwLockStore } from './rwlock-store.js';

/** The store's read/write locks; a case runs only where the store has them. */
export function rw(ctx: ConformanceContext): RwLockStore {
  return ctx.store.rwlocks!;
}

/** The fencing token of a grant; fails the case when nothing was granted. */
export function grantedRw(result: RwLockAcquireResult): number {
  assert.equal(result.acquired, true, `expected the lock to be granted, got ${JSON.stringify(result)}`);
  return (result as { fencingToken: number }).fencingToken;
}

/** Takes `key` in `mode` on a new lease (or `leaseId`); returns the lease id and token. */
export async function take(ctx: ConformanceContext, key: string, mode: RwLockMode, leaseId?: string) {
  const id = leaseId ?? (await lease(ctx));
  return { leaseId: id, token: grantedRw(await rw(ctx).acquire({ app: 'test', key, leaseId: id, mode })) };
}

/** Read/write locks: sharing, exclusion, modes, owner-safe release, fencing and tenancy. */
export const rwLockCases: ConformanceCase[] = [
  {
    name: 'readers share a read/write lock and a writer is refused; a writer excludes everyone',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}share`;
      const r1 = await take(ctx, key, 'read');
      const r2 = await take(ctx, key, 'read');
      assert.ok(r2.token > r1.token, 'tokens rise with every grant');
      const w = await lease(ctx);
      const refused = await rw(ctx).acquire({ app: 'test', key, leaseId: w, mode: 'write' });
      assert.deepEqual(refused, { acquired: false, mode: 'read', waiters: 0 });
      const info = await rw(ctx).describe(key);
      assert.equal(info?.mode, 'read');
      assert.deepEqual(
        info?.holders.map((h) => [h.leaseId, h.mode, h.fencingToken]),
        [
          [r1.leaseId, 'read', r1.token],
          [r2.leaseId, 'read', r2.token],
        ],
      );
      await rw(ctx).release(key, r1.leaseId, 'test');
      await rw(ctx).release(key, r2.leaseId, 'test');
      const wt = await take(ctx, key, 'write', w);
      assert.ok(wt.token > r2.token, 'a write token exceeds every earlier token of the name');
      const r3 = await lease(ctx);
      const shut = await rw(ctx).acquire({ app: 'test', key, leaseId: r3, mode: 'read' });
      assert.deepEqual(shut, { acquired: false, mode: 'write', waiters: 0 });
    },
  },
  {
    name: 're-acquiring the mode held returns the same grant; an upgrade is MODE_CONFLICT at once',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}mode`;
      const r = await take(ctx, key, 'read');
      assert.deepEqual(await take(ctx, key, 'read', r.leaseId), r);
      const started = Date.now();
      await rejectsWith(
        rw(ctx).acquire({ app: 'test', key, leaseId: r.leaseId, mode: 'write', waitMs: 5_000 }),
        'MODE_CONFLICT',
      );
      assert.ok(Date.now() - started < 2_000, 'the upgrade waited');
      assert.equal(await rw(ctx).check(key, r.token), true, 'a refused upgrade keeps the read');
      const w = await take(ctx, `${key}2`, 'write');
      assert.deepEqual(await take(ctx, `${key}2`, 'write', w.leaseId), w);
    },
  },
  {
    name: 'a downgrade is atomic: a new read token, the write token void, a queued writer kept out',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}down`;
      const w = await take(ctx, key, 'write');
      const w2 = await lease(ctx);
      const queued = rw(ctx).acquire({ app: 'test', key, leaseId: w2, mode: 'write', waitMs: 10_000 });
      await until(async () => (await rw(ctx).describe(key))?.waiters === 1);
      const down = await rw(ctx).acquire({ app: 'test', key, leaseId: w.leaseId, mode: 'read' });
      const readToken = grantedRw(down);
      assert.equal(down.acquired && down.mode, 'read');
      assert.ok(readToken > w.token);
      assert.equal(await rw(ctx).check(key, w.token), false, 'the write token is still valid');
      assert.equal(await rw(ctx).check(key, readToken), true);
      const info = await rw(ctx).describe(key);
      assert.deepEqual([info?.mode, info?.holders.length, info?.waiters], ['read', 1, 1]);
      await rw(ctx).release(key, w.leaseId, 'test');
      assert.ok(grantedRw(await queued) > readToken);
    },
  },
  {
    name: 'read/write lock release is owner-safe and repeatable, and check is false once released',
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}rel`;
      const a = await take(ctx, key, 'read');
      const b = await take(ctx, key, 'read');
      const stranger = await lease(ctx);
      assert.equal(await rw(ctx).release(key, stranger, 'test'), 'not_held');
      assert.equal(await rw(ctx).release(key, a.leaseId, 'other-app'), 'not_held');
      assert.equal(await rw(ctx).release(key, a.leaseId, 'test'), 'released');
      assert.equal(await rw(ctx).release(key, a.leaseId, 'test'), 'not_held');
      assert.equal(await rw(ctx).check(key, a.token), false);
      assert.equal(await rw(ctx).check(key, b.token), true, 'another reader stays valid');
    },
  },
  {
    name: 'a fenced put names a read/write lock grant and is refused once it is released',
    needs: ['leases', 'rwlocks', 'kv'],
    async run(ctx) {
      const key = `${ctx.prefix}fence`;
      const w = await take(ctx, key, 'write');
      const fence = { key, token: w.token };
      await ctx.store.kv!.put({ key: `${ctx.prefix}v`, value: '1', fence, app: 'test' });
      await rw(ctx).release(key, w.leaseId, 'test');
      await rejectsWith(
        ctx.store.kv!.put({ key: `${ctx.prefix}v`, value: '2', fence, app: 'test' }),
        'FENCED',
      );
    },
  },
  {
    name: "another app's lease cannot take or release a read/write lock, and its grant stays",
    needs: ['leases', 'rwlocks'],
    async run(ctx) {
      const key = `${ctx.prefix}ten`;
      const orders = await ctx.store.leases.grant({ ttlMs: LONG_TTL_MS, app: 'orders' });
      const held = await rw(ctx).acquire({ app: 'orders', key, leaseId: orders.id, mode: 'write' });
      await rejectsWith(
        rw(ctx).acquire({ app: 'billing', key, leaseId: orders.id, mode: 'read' }),
        'LEASE_NOT_FOUND',
      );
      assert.equal(await rw(ctx).release(key, orders.id, 'billing'), 'not_held');
      assert.equal(await rw(ctx).check(key, grantedRw(held)), true);
      assert.equal((await rw(ctx).describe(key))?.mode, 'write');
    },
  },
  {
    name: 'a watch sees permit.acquired and permit.released of a read/write lock with the mode',
    needs: ['leases', 'rwlocks', 'watch'],
    async run(ctx) {
      const events: WatchEvent[] = [];
      const stop = ctx.store.watch.subscribe({ prefix: ctx.prefix, onEvent: (e) => events.push(e) });
      try {
        const key = `${ctx.prefix}w`;
        const w = await take(ctx, key, 'write');
        await rw(ctx).release(key, w.leaseId, 'test');
        await until(() => Promise.resolve(events.length >= 2));
        assert.deepEqual(
          events.map((e) => [e.type, e.key, e.leaseId, e.fencingToken, e.mode]),
          [
            ['permit.acquired', key, w.leaseId, w.token, 'write'],
            ['permit.released', key, w.leaseId, w.token, 'write'],
          ],
        );
      } finally {
        stop();
      }
    },
  },
];

/** Polls `check` every 10 ms for up to 3 s. */
export async function until(check: () => Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check()) && Date.now() < deadline) await sleep(10);
}
