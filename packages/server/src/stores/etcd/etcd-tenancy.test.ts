import assert from 'node:assert/strict';
import { daprOf } from '@leasehold/core';
import type { Store, Usage, WatchEvent } from '@leasehold/core';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { EtcdKeys } from './etcd-keys.js';
import { etcdLeaseIdOf } from './etcd-lease-id.js';
import { createEtcdStore } from './index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const keys = new EtcdKeys('leasehold/');

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(20);
}

const counts = (u: Usage) => [u.leases, u.locks, u.keys, u.keyBytes, u.counters];

describeWithBackend('etcd', 'lock.etcd lease ids and tenancy across servers', (binary) => {
  let cluster: EtcdCluster;
  let a: Store;
  let b: Store;
  let raw: Etcd3;
  const metadata = (): Map<string, string> => new Map([['endpoints', cluster.endpoints]]);

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary);
    [a, b] = [await createEtcdStore('lockstore', metadata()), await createEtcdStore('lockstore', metadata())];
    raw = new Etcd3({ hosts: cluster.endpoints.split(',') });
  });

  afterAll(async () => {
    raw?.close();
    await Promise.all([a?.close(), b?.close()]);
    await cluster?.stop();
  });

  it('a lease id is etcd’s id in 16 hex characters and a 128-bit nonce; a wrong nonce is no lease', async () => {
    const id = (await a.leases.grant({ ttlMs: 30_000, app: 'orders' })).id;
    expect(id).toMatch(/^[0-9a-f]{48}$/);
    const forged = id.slice(0, 16) + '0'.repeat(32);
    const decimal = etcdLeaseIdOf(id)!;
    for (const guess of [forged, decimal]) {
      expect(await b.leases.get(guess, 'orders')).toBeUndefined();
      expect(await b.leases.keepAlive(guess, 'orders')).toBeUndefined();
      expect(await b.leases.revoke(guess, 'orders')).toBe(false);
      await expect(b.locks.acquire({ key: 'forged', leaseId: guess, app: 'orders' })).rejects.toMatchObject({
        code: 'LEASE_NOT_FOUND',
      });
    }
    // The admin's view of a forged id is the same: the nonce is part of the name.
    expect(await b.leases.get(forged, undefined)).toBeUndefined();
    expect((await b.leases.get(id, 'orders'))?.app).toBe('orders');
  });

  it('a record from before nonces and apps still works for an admin, and for no app', async () => {
    const etcdLease = (await raw.lease(30, { autoKeepAlive: false }).grant()).toString();
    await raw.kv.put({ key: keys.lease(etcdLease), value: Buffer.from('{"ttlMs":30000}'), lease: etcdLease });
    expect(await a.leases.get(etcdLease, 'orders')).toBeUndefined();
    await expect(a.locks.acquire({ key: 'legacy', leaseId: etcdLease, app: 'orders' })).rejects.toMatchObject(
      {
        code: 'LEASE_NOT_FOUND',
      },
    );
    expect((await a.locks.acquire({ key: 'legacy', leaseId: etcdLease, app: undefined })).acquired).toBe(
      true,
    );
    const lock = await b.locks.describe('legacy');
    expect([lock.leaseId, lock.app]).toEqual([etcdLease, undefined]);
    expect((await b.leases.keepAlive(etcdLease, undefined))?.id).toBe(etcdLease);
    expect(await b.leases.revoke(etcdLease, undefined)).toBe(true);
    expect((await a.locks.describe('legacy')).held).toBe(false);
  });

  it('holders, kv entries and every watch event name the public id and the app, on any server', async () => {
    const events: WatchEvent[] = [];
    const stop = b.watch.subscribe({ prefix: 'seen/', onEvent: (e) => events.push(e) });
    const expired: WatchEvent[] = [];
    const stopExpired = b.watch.subscribe({
      prefix: '',
      onEvent: (e) => e.type === 'lease.expired' && expired.push(e),
    });
    try {
      await sleep(100);
      const id = (await a.leases.grant({ ttlMs: 30_000, owner: 'w', app: 'orders' })).id;
      const short = (await a.leases.grant({ ttlMs: 1_000, app: 'orders' })).id;
      assert.ok((await a.locks.acquire({ key: 'seen/lock', leaseId: id, app: 'orders' })).acquired);
      await a.kv!.put({ key: 'seen/bound', value: 'v', leaseId: id, app: 'orders' });
      const busy = await b.locks.acquire({ key: 'seen/lock', leaseId: short, app: 'orders' });
      expect(busy).toMatchObject({ acquired: false, holder: { leaseId: id, app: 'orders', owner: 'w' } });
      expect(await b.kv!.get('seen/bound')).toMatchObject({ leaseId: id, app: 'orders' });
      expect((await b.locks.list('seen/', 10)).map((l) => [l.leaseId, l.app])).toEqual([[id, 'orders']]);
      assert.equal(await a.leases.revoke(id, 'orders'), true);
      await until(() => events.length >= 4 && expired.length >= 1);
      expect(events.map((e) => [e.type, e.key, e.leaseId, e.app])).toEqual([
        ['lock.acquired', 'seen/lock', id, 'orders'],
        ['put', 'seen/bound', id, 'orders'],
        ['lock.released', 'seen/lock', id, 'orders'],
        ['delete', 'seen/bound', id, 'orders'],
      ]);
      expect(expired.map((e) => [e.leaseId, e.app])).toEqual([[short, 'orders']]);
    } finally {
      stop();
      stopExpired();
    }
  });

  it('a server that never saw the lease replays history with its id, from the revision before', async () => {
    const id = (await a.leases.grant({ ttlMs: 30_000, app: 'orders' })).id;
    const { revision } = await a.kv!.put({ key: 'replay/k', value: 'v', leaseId: id, app: 'orders' });
    await a.leases.revoke(id, 'orders');
    const fresh = await createEtcdStore('lockstore', metadata());
    const events: WatchEvent[] = [];
    const stop = fresh.watch.subscribe({
      prefix: 'replay/',
      afterRevision: revision - 1,
      onEvent: (e) => events.push(e),
    });
    try {
      await until(() => events.length >= 2);
    } finally {
      stop();
      await fresh.close();
    }
    expect(events.map((e) => [e.type, e.leaseId, e.app])).toEqual([
      ['put', id, 'orders'],
      ['delete', id, 'orders'],
    ]);
  });

  it('usage is global: both servers count the same leases, locks, keys and counters', async () => {
    const query = { app: 'usage-app', scope: 'usage-app||' };
    const id = (await a.leases.grant({ ttlMs: 30_000, app: 'usage-app' })).id;
    await b.leases.grant({ ttlMs: 30_000, app: 'usage-app' });
    await daprOf(b).tryLock('lock||usage-app||d', 'o', 30_000, 'usage-app');
    await a.locks.acquire({ key: 'lock||usage-app||l', leaseId: id, app: 'usage-app' });
    await a.kv!.put({ key: 'kv||usage-app||k', value: 'ab', leaseId: id, app: 'usage-app' });
    await b.kv!.put({ key: 'kv||usage-app||free', value: 'xyz', app: 'usage-app' });
    await b.counters!.set('counter||usage-app||c', 5);
    const expected = [3, 2, 2, 5, 1];
    expect(counts(await a.usage!(query))).toEqual(expected);
    expect(counts(await b.usage!(query))).toEqual(expected);
    // Rewriting a value replaces its size; deleting drops it.
    await a.kv!.put({ key: 'kv||usage-app||free', value: 'x', app: 'usage-app' });
    expect((await b.usage!({ ...query, kvKey: 'kv||usage-app||free' })).kvKeyBytes).toBe(1);
    await b.kv!.delete('kv||usage-app||free');
    expect(counts(await a.usage!(query))).toEqual([3, 2, 1, 2, 1]);
  });

  it('every way a lock ends takes it out of its app’s lock count', async () => {
    const app = 'ends';
    const query = { app, scope: `${app}||` };
    const id = (await a.leases.grant({ ttlMs: 30_000, app })).id;
    await a.locks.acquire({ key: 'ends/released', leaseId: id, app });
    await a.locks.acquire({ key: 'ends/by-admin', leaseId: id, app });
    await a.locks.acquire({ key: 'ends/forced', leaseId: id, app });
    await a.locks.acquire({ key: 'ends/held-too-long', leaseId: id, app, maxHoldMs: 1_000 });
    expect((await b.usage!(query)).locks).toBe(4);
    expect(await b.locks.release('ends/released', id, app)).toBe('released');
    expect(await b.locks.release('ends/by-admin', id, undefined)).toBe('released');
    expect(await b.locks.forceRelease('ends/forced')).toBe(true);
    await sleep(1_500);
    expect((await b.locks.describe('ends/held-too-long')).held).toBe(false);
    expect((await b.usage!(query)).locks).toBe(0);
    expect((await b.usage!(query)).leases).toBe(1);
  });

  it('the shared key space counts only its own keys, not those of scoped tenants', async () => {
    const before = await a.usage!({ app: 'shared', scope: '' });
    await a.kv!.put({ key: 'kv||shared-key', value: 'é', app: 'shared' });
    await a.kv!.put({ key: 'kv||scoped||key', value: 'long value', app: 'shared' });
    await a.counters!.add('counter||shared-counter', 1);
    const after = await a.usage!({ app: 'shared', scope: '' });
    expect([
      after.keys - before.keys,
      after.keyBytes - before.keyBytes,
      after.counters - before.counters,
    ]).toEqual([1, 2, 1]);
  });
});
