import { describe, expect, it } from 'vitest';
import type { KvEntry } from '../src/index.js';
import { useSetup } from './support/setups.js';

describe.each(['stream', 'http', 'inProcess'] as const)('kv.list and kv.entries over %s', (name) => {
  const client = useSetup(name);

  it('lists a page of names under a prefix, in byte order, with its cursor', async () => {
    const c = client();
    for (const key of ['list/b', 'list/a', 'list/c', 'listless', 'other/a']) await c.kv.put(key, `v:${key}`);
    const first = await c.kv.list('list/', { limit: 2 });
    expect(first.entries.map((e) => [e.key, e.value, e.version])).toEqual([
      ['list/a', 'v:list/a', 1],
      ['list/b', 'v:list/b', 1],
    ]);
    expect([first.more, first.next]).toEqual([true, 'list/b']);
    const last = await c.kv.list('list/', { limit: 2, after: first.next! });
    expect(last.entries.map((e) => e.key)).toEqual(['list/c']);
    expect(last.more).toBe(false);
    expect(last.next).toBeUndefined();
    expect((await c.kv.list('nothing/')).entries).toEqual([]);
  });

  it('shows the lease a key is bound to, and forgets the key when the lease ends', async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    await c.kv.put('bound/k', 'v', { lease });
    expect((await c.kv.list('bound/')).entries).toMatchObject([{ key: 'bound/k', leaseId: lease.id }]);
    await lease.revoke();
    expect((await c.kv.list('bound/')).entries).toEqual([]);
  });

  it('iterates every entry across pages with for await', async () => {
    const c = client();
    const keys = Array.from({ length: 23 }, (_, i) => `iter/${String(i).padStart(2, '0')}`);
    for (const key of keys) await c.kv.put(key, key);
    const seen: KvEntry[] = [];
    for await (const entry of c.kv.entries('iter/', { pageSize: 5 })) seen.push(entry);
    expect(seen.map((e) => e.key)).toEqual(keys);
    expect(seen.every((e) => e.value === e.key)).toBe(true);
  });

  it('names the field of a bad limit or prefix', async () => {
    const c = client();
    await expect(c.kv.list('x/', { limit: 0 })).rejects.toMatchObject({ errorCode: 'INVALID_ARGUMENT' });
    await expect(c.kv.list('x/', { limit: 1001 })).rejects.toThrow(/limit: must be between 1 and 1000/);
    await expect(c.kv.list('x||y')).rejects.toThrow(/prefix/);
  });
});
