import assert from 'node:assert/strict';
import type { ConformanceCase, ConformanceContext } from '../conformance/context.js';
import { sleep } from '../conformance/context.js';
import type { KvStore } from './kv-store.js';

const TTL_MS = 30_000;

/** The store's listing; every store in this suite must offer one. */
function lister(ctx: ConformanceContext): NonNullable<KvStore['list']> {
  const list = ctx.store.kv?.list?.bind(ctx.store.kv);
  assert.ok(list, 'the store must list keys');
  return list;
}

async function keysOf(ctx: ConformanceContext, prefix: string, after?: string, limit = 1_000) {
  return (await lister(ctx)(prefix, after, limit)).map((e) => e.key);
}

async function putAll(ctx: ConformanceContext, names: readonly string[]): Promise<void> {
  for (const name of names)
    await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}${name}`, value: name });
}

/** Listing keys by prefix (`KvStore.list`), on every store with keys. */
export const kvListCases: ConformanceCase[] = [
  {
    name: 'keys are listed in UTF-8 byte order with their values, versions and revisions',
    needs: ['kv'],
    async run(ctx) {
      // Byte order puts 'Z' before 'a', and an astral character after U+FFFD (unlike UTF-16 order).
      const names = ['b', 'a', 'Z', 'a/1', '\u{1F600}', '\uFFFD', 'é'];
      await putAll(ctx, names);
      await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}a`, value: 'again' });
      const entries = await lister(ctx)(ctx.prefix, undefined, 100);
      const expected = names
        .map((n) => `${ctx.prefix}${n}`)
        .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual(
        entries.map((e) => e.key),
        expected,
      );
      const a = entries.find((e) => e.key === `${ctx.prefix}a`);
      const got = await ctx.store.kv!.get(`${ctx.prefix}a`);
      assert.deepEqual([a?.value, a?.version, a?.revision], ['again', 2, got?.revision]);
    },
  },
  {
    name: 'a prefix lists exactly the keys that start with it',
    needs: ['kv'],
    async run(ctx) {
      await putAll(ctx, ['p', 'p/1', 'p/2', 'p0', 'p/', 'o/9', 'q/1', 'P/1']);
      assert.deepEqual(await keysOf(ctx, `${ctx.prefix}p/`), [
        `${ctx.prefix}p/`,
        `${ctx.prefix}p/1`,
        `${ctx.prefix}p/2`,
      ]);
      assert.deepEqual(await keysOf(ctx, `${ctx.prefix}p`), [
        `${ctx.prefix}p`,
        `${ctx.prefix}p/`,
        `${ctx.prefix}p/1`,
        `${ctx.prefix}p/2`,
        `${ctx.prefix}p0`,
      ]);
      assert.deepEqual(await keysOf(ctx, `${ctx.prefix}r`), []);
    },
  },
  {
    name: 'pages of `limit` keys after a cursor cover every key once, in order',
    needs: ['kv'],
    async run(ctx) {
      const names = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      await putAll(ctx, [...names].reverse());
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await keysOf(ctx, ctx.prefix, after, 10);
        assert.ok(page.length <= 10, `a page of ${page.length} keys for a limit of 10`);
        seen.push(...page);
        if (page.length < 10) break;
        after = page[page.length - 1];
      }
      assert.deepEqual(
        seen,
        names.map((n) => `${ctx.prefix}${n}`),
      );
      // A cursor need not be a key, and one before the prefix starts at the prefix.
      assert.deepEqual(await keysOf(ctx, ctx.prefix, `${ctx.prefix}k10x`, 2), [
        `${ctx.prefix}k11`,
        `${ctx.prefix}k12`,
      ]);
      assert.deepEqual(await keysOf(ctx, `${ctx.prefix}k2`, `${ctx.prefix}k`, 2), [
        `${ctx.prefix}k20`,
        `${ctx.prefix}k21`,
      ]);
      assert.deepEqual(await keysOf(ctx, ctx.prefix, `${ctx.prefix}k24`, 10), []);
    },
  },
  {
    name: 'deleted keys and the keys of a revoked or expired lease are not listed',
    needs: ['leases', 'kv'],
    async run(ctx) {
      await putAll(ctx, ['kept', 'deleted']);
      assert.equal(await ctx.store.kv!.delete(`${ctx.prefix}deleted`), true);
      const revoked = (await ctx.store.leases.grant({ app: 'test', ttlMs: TTL_MS })).id;
      await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}revoked`, value: 'v', leaseId: revoked });
      const expiring = (await ctx.store.leases.grant({ app: 'test', ttlMs: ctx.ttlMs })).id;
      await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}expired`, value: 'v', leaseId: expiring });
      const bound = await lister(ctx)(`${ctx.prefix}revoked`, undefined, 10);
      assert.deepEqual(
        bound.map((e) => [e.key, e.leaseId]),
        [[`${ctx.prefix}revoked`, revoked]],
      );
      assert.equal(await ctx.store.leases.revoke(revoked, 'test'), true);
      await sleep(ctx.ttlMs + ctx.expirySlackMs);
      assert.deepEqual(await keysOf(ctx, ctx.prefix), [`${ctx.prefix}kept`]);
    },
  },
  {
    name: 'a prefix never reaches into the key scope of another tenant',
    needs: ['kv'],
    async run(ctx) {
      // Store keys are `kv||<scope>||<name>`: the scope ends at its separator, so `a||` is not `ab||`.
      for (const key of ['a||x', 'a||y', 'ab||x', 'a|x', 'b||x'])
        await ctx.store.kv!.put({ app: 'test', key: `${ctx.prefix}${key}`, value: 'v' });
      assert.deepEqual(await keysOf(ctx, `${ctx.prefix}a||`), [`${ctx.prefix}a||x`, `${ctx.prefix}a||y`]);
      assert.deepEqual(await keysOf(ctx, `${ctx.prefix}a||`, `${ctx.prefix}a||y`), []);
      assert.deepEqual(await keysOf(ctx, `${ctx.prefix}b||`, `${ctx.prefix}a||x`), [`${ctx.prefix}b||x`]);
    },
  },
];
