import assert from 'node:assert/strict';
import { LONG_TTL_MS, lease, rejectsWith, token } from '../conformance/case-helpers.js';
import type { ConformanceCase } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';

/** Locks: exclusion, owner-safe release, fencing, fair waiting, hold deadlines and listing. */
export const lockCases: ConformanceCase[] = [
  {
    name: 'a lock is exclusive and re-acquiring on the holding lease is idempotent',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const [a, b] = [await lease(ctx, LONG_TTL_MS, 'a'), await lease(ctx, LONG_TTL_MS, 'b')];
      const key = `${ctx.prefix}lock`;
      const first = token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: a }));
      assert.ok(first > 0);
      const again = await ctx.store.locks.acquire({ app: 'test', key, leaseId: a });
      assert.deepEqual(again, { acquired: true, fencingToken: first });
      const contended = await ctx.store.locks.acquire({ app: 'test', key, leaseId: b });
      assert.equal(contended.acquired, false);
      assert.equal(contended.acquired === false ? contended.holder?.leaseId : undefined, a);
      const info = await ctx.store.locks.describe(key);
      assert.equal(info.held, true);
      assert.equal(info.leaseId, a);
      assert.equal(info.owner, 'a');
      assert.equal(info.fencingToken, first);
    },
  },
  {
    name: 'release is owner-safe and repeatable',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const [a, b] = [await lease(ctx), await lease(ctx)];
      const key = `${ctx.prefix}r`;
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: a }));
      assert.equal(await ctx.store.locks.release(key, b, 'test'), 'held_by_other');
      assert.equal(await ctx.store.locks.release(key, a, 'test'), 'released');
      assert.equal(await ctx.store.locks.release(key, a, 'test'), 'not_held');
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: b }));
      assert.equal(
        await ctx.store.locks.release(key, a, 'test'),
        'held_by_other',
        'a stale release touched a later grant',
      );
      assert.equal((await ctx.store.locks.describe(key)).leaseId, b);
    },
  },
  {
    name: 'fencing tokens rise strictly with every grant of a lock',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}f`;
      let last = 0;
      for (let i = 0; i < 5; i++) {
        const id = await lease(ctx);
        const next = token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: id }));
        assert.ok(next > last, `token ${next} is not above ${last}`);
        assert.equal(await ctx.store.locks.check(key, next), true);
        last = next;
        await ctx.store.leases.revoke(id, 'test');
        assert.equal(await ctx.store.locks.check(key, next), false);
      }
    },
  },
  {
    name: 'blocking acquires are granted first-come first-served by direct hand-off',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}q`;
      const holder = await lease(ctx);
      const held = token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: holder }));
      const order: number[] = [];
      const waiters = [];
      for (let i = 0; i < 5; i++) {
        const id = await lease(ctx);
        waiters.push(
          ctx.store.locks.acquire({ app: 'test', key, leaseId: id, waitMs: 10_000 }).then(async (result) => {
            order.push(i);
            const t = token(result);
            await ctx.store.locks.release(key, id, 'test');
            return t;
          }),
        );
        await sleep(20);
      }
      assert.equal((await ctx.store.locks.describe(key)).waiters, 5);
      await ctx.store.locks.release(key, holder, 'test');
      const tokens = await Promise.all(waiters);
      assert.deepEqual(order, [0, 1, 2, 3, 4]);
      let last = held;
      for (const t of tokens) {
        assert.ok(t > last, 'tokens did not rise in grant order');
        last = t;
      }
    },
  },
  {
    name: 'a wait ends unacquired when waitMs passes',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}t`;
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: await lease(ctx) }));
      const started = Date.now();
      const result = await ctx.store.locks.acquire({
        app: 'test',
        key,
        leaseId: await lease(ctx),
        waitMs: 200,
      });
      assert.equal(result.acquired, false);
      assert.ok(Date.now() - started >= 190, 'gave up before waitMs');
      assert.equal((await ctx.store.locks.describe(key)).waiters, 0);
    },
  },
  {
    name: 'an aborted waiter leaves the queue and is never granted',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}ab`;
      const holder = await lease(ctx);
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: holder }));
      const controller = new AbortController();
      const quitter = await lease(ctx);
      const abandoned = ctx.store.locks.acquire({
        app: 'test',
        key,
        leaseId: quitter,
        waitMs: 10_000,
        signal: controller.signal,
      });
      await sleep(20);
      const next = await lease(ctx);
      const patient = ctx.store.locks.acquire({ app: 'test', key, leaseId: next, waitMs: 10_000 });
      await sleep(20);
      controller.abort();
      assert.equal((await abandoned).acquired, false);
      await ctx.store.locks.release(key, holder, 'test');
      token(await patient);
      assert.equal((await ctx.store.locks.describe(key)).leaseId, next);
    },
  },
  {
    name: 'a wait aborted while its first try is in flight gives up at once and is never granted',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}af`;
      const holder = await lease(ctx);
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: holder }));
      const controller = new AbortController();
      const quitter = await lease(ctx);
      const abandoned = ctx.store.locks.acquire({
        app: 'test',
        key,
        leaseId: quitter,
        waitMs: 60_000, // far past the case's timeout: only the abort can end this wait in time
        signal: controller.signal,
      });
      controller.abort();
      assert.equal((await abandoned).acquired, false);
      await ctx.store.locks.release(key, holder, 'test');
      await sleep(50);
      assert.equal((await ctx.store.locks.describe(key)).held, false);
    },
  },
  {
    name: 'a waiter whose lease is revoked stops waiting with LEASE_NOT_FOUND',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}wr`;
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: await lease(ctx) }));
      const doomed = await lease(ctx);
      const outcome = rejectsWith(
        ctx.store.locks.acquire({ app: 'test', key, leaseId: doomed, waitMs: 10_000 }),
        'LEASE_NOT_FOUND',
      );
      await sleep(20);
      await ctx.store.leases.revoke(doomed, 'test');
      await outcome;
    },
  },
  {
    name: 'maxHoldMs releases a lock while its lease lives on',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}mh`;
      const id = await lease(ctx);
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: id, maxHoldMs: ctx.ttlMs }));
      const started = Date.now();
      while (
        (await ctx.store.locks.describe(key)).held &&
        Date.now() - started < ctx.ttlMs + ctx.expirySlackMs
      ) {
        await sleep(50);
      }
      assert.equal((await ctx.store.locks.describe(key)).held, false);
      assert.ok(await ctx.store.leases.get(id, 'test'), 'the lease should outlive the hold');
    },
  },
  {
    name: 'force-release frees a lock and hands it to the next waiter',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const key = `${ctx.prefix}fr`;
      token(await ctx.store.locks.acquire({ app: 'test', key, leaseId: await lease(ctx) }));
      const next = await lease(ctx);
      const waiting = ctx.store.locks.acquire({ app: 'test', key, leaseId: next, waitMs: 10_000 });
      await sleep(20);
      assert.equal(await ctx.store.locks.forceRelease(key), true);
      token(await waiting);
      assert.equal((await ctx.store.locks.describe(key)).leaseId, next);
    },
  },
  {
    name: 'held locks are listed by prefix',
    needs: ['leases', 'locks'],
    async run(ctx) {
      const id = await lease(ctx);
      for (const name of ['p/1', 'p/2', 'q/1'])
        token(await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}${name}`, leaseId: id }));
      const listed = await ctx.store.locks.list(`${ctx.prefix}p/`, 100);
      assert.deepEqual(
        listed.map((l) => l.key),
        [`${ctx.prefix}p/1`, `${ctx.prefix}p/2`],
      );
      assert.ok(listed.every((l) => l.held && l.leaseId === id));
    },
  },
];
