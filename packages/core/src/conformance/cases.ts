import { daprOf } from '../dapr/dapr-mapping.js';
import assert from 'node:assert/strict';
import { LeaseholdError } from '../errors.js';
import type { AcquireResult, WatchEvent } from '../types.js';
import type { ConformanceCase, ConformanceContext } from './context.js';
import { sleep } from './context.js';
import { kvListCases } from './kv-list-cases.js';
import { tenancyCases } from './tenancy-cases.js';

const LONG_TTL_MS = 30_000;

function token(result: AcquireResult): number {
  assert.equal(result.acquired, true, 'expected the lock to be acquired');
  return (result as { fencingToken: number }).fencingToken;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LeaseholdError, `expected a LeaseholdError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

async function lease(ctx: ConformanceContext, ttlMs = LONG_TTL_MS, owner?: string): Promise<string> {
  return (await ctx.store.leases.grant({ app: 'test', ttlMs, ...(owner === undefined ? {} : { owner }) })).id;
}

const leases: ConformanceCase[] = [
  {
    name: 'a granted lease can be read, kept alive and revoked once',
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
    name: 'an unknown lease cannot acquire, keep alive or bind keys',
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
  {
    name: 'a lease is never released early and is released soon after its TTL',
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
];

const locks: ConformanceCase[] = [
  {
    name: 'a lock is exclusive and re-acquiring on the holding lease is idempotent',
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

const dapr: ConformanceCase[] = [
  {
    name: 'Dapr TryLock and Unlock follow Dapr semantics',
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

const kv: ConformanceCase[] = [
  {
    name: 'put, get and delete keep versions and revisions',
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
    name: 'counters add, read and set',
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
    name: 'a watch sees puts, deletes and lock events in revision order',
    async run(ctx) {
      const events: WatchEvent[] = [];
      const stop = ctx.store.watch.subscribe({ prefix: ctx.prefix, onEvent: (e) => events.push(e) });
      try {
        await sleep(100);
        const id = await lease(ctx);
        await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}w`, value: 'x' });
        await ctx.store.locks.acquire({ app: 'test', key: `${ctx.prefix}wl`, leaseId: id });
        await ctx.store.locks.release(`${ctx.prefix}wl`, id, 'test');
        await ctx.store.kv!.delete(`${ctx.prefix}w`);
        const deadline = Date.now() + 3_000;
        while (events.length < 4 && Date.now() < deadline) await sleep(20);
      } finally {
        stop();
      }
      assert.deepEqual(
        events.map((e) => [e.type, e.key]),
        [
          ['put', `${ctx.prefix}w`],
          ['lock.acquired', `${ctx.prefix}wl`],
          ['lock.released', `${ctx.prefix}wl`],
          ['delete', `${ctx.prefix}w`],
        ],
      );
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision);
    },
  },
];

/** The store contract: every store runs these, unchanged. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...leases,
  ...locks,
  ...dapr,
  ...kv,
  ...tenancyCases,
  ...kvListCases,
];
