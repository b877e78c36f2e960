import assert from 'node:assert/strict';
import { UnlockStatus, daprOf } from '@leasehold/core';
import type { Store, WatchEvent } from '@leasehold/core';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { createEtcdStore } from './index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describeWithBackend('etcd', "lock.etcd serves Dapr's lock API through core's mapping", (binary) => {
  let cluster: EtcdCluster;
  let a: Store;
  let b: Store;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
    const metadata = new Map([['endpoints', cluster.endpoints]]);
    [a, b] = [await createEtcdStore('lockstore', metadata), await createEtcdStore('lockstore', metadata)];
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await cluster?.stop();
  });

  it('keeps no Dapr format of its own', () => {
    expect(a.dapr).toBeUndefined();
  });

  it('a TryLock stores an implicit lease that every server reports, and Unlock revokes it whole', async () => {
    const key = 'lock||billing||invoice';
    const taken = await daprOf(a).tryLock(key, 'worker-1', 30_000, 'billing');
    assert.ok(taken.acquired);
    const lock = await b.locks.describe(key);
    expect(lock).toMatchObject({ held: true, owner: 'worker-1', app: 'billing' });
    const lease = await b.leases.get(lock.leaseId!, 'billing');
    expect(lease).toMatchObject({ owner: 'worker-1', app: 'billing', implicit: true, locks: [key] });
    expect(lease!.ttlMs).toBe(30_000);
    expect((await b.usage!({ app: 'billing', scope: 'billing||' })).leases).toBe(1);
    expect(await daprOf(b).unlock(key, 'worker-1', 'billing')).toBe(UnlockStatus.SUCCESS);
    expect(await a.leases.get(lock.leaseId!, 'billing')).toBeUndefined();
    expect((await a.usage!({ app: 'billing', scope: 'billing||' })).leases).toBe(0);
  });

  it('a TryLock that finds the lock held writes nothing: no lease granted, revision unchanged', async () => {
    const key = 'lock||billing||held';
    assert.ok((await daprOf(a).tryLock(key, 'worker-3', 30_000, 'billing')).acquired);
    const etcd = new Etcd3({ hosts: cluster.endpoints.split(',').map((host) => `http://${host}`) });
    try {
      const before = await etcd.kv.range({ key: Buffer.from('\0'), limit: 1, count_only: true });
      const leasesBefore = (await etcd.leaseClient.leaseLeases()).leases.length;
      expect((await daprOf(b).tryLock(key, 'worker-4', 30_000, 'billing')).acquired).toBe(false);
      const after = await etcd.kv.range({ key: Buffer.from('\0'), limit: 1, count_only: true });
      expect(after.header.revision).toBe(before.header.revision);
      expect((await etcd.leaseClient.leaseLeases()).leases.length).toBe(leasesBefore);
    } finally {
      etcd.close();
    }
    expect(await daprOf(b).unlock(key, 'worker-4', 'billing')).toBe(UnlockStatus.LOCK_BELONGS_TO_OTHERS);
    expect(await daprOf(b).unlock(key, 'worker-3', 'payroll')).toBe(UnlockStatus.LOCK_BELONGS_TO_OTHERS);
    expect(await daprOf(b).unlock(key, 'worker-3', 'billing')).toBe(UnlockStatus.SUCCESS);
  });

  it('a TryLock on a free lock writes the lock and its lease record in one transaction', async () => {
    const key = 'lock||billing||one-write';
    const etcd = new Etcd3({ hosts: cluster.endpoints.split(',').map((host) => `http://${host}`) });
    let token: number;
    try {
      const before = await etcd.kv.range({ key: Buffer.from('\0'), limit: 1, count_only: true });
      const taken = await daprOf(a).tryLock(key, 'worker-7', 30_000, 'billing');
      assert.ok(taken.acquired);
      token = taken.fencingToken;
      const after = await etcd.kv.range({ key: Buffer.from('\0'), limit: 1, count_only: true });
      // One etcd revision: the record no longer has a transaction of its own (the lease grant has none).
      expect(Number(after.header.revision) - Number(before.header.revision)).toBe(1);
    } finally {
      etcd.close();
    }
    const lock = await b.locks.describe(key);
    expect(lock).toMatchObject({ held: true, owner: 'worker-7', app: 'billing', fencingToken: token });
    expect(await b.locks.check(key, token)).toBe(true);
    expect(await daprOf(b).unlock(key, 'worker-7', 'billing')).toBe(UnlockStatus.SUCCESS);
    expect(await a.leases.get(lock.leaseId!, 'billing')).toBeUndefined();
  });

  it('an Unlock on the server that granted the lock is one transaction with no read first', async () => {
    const key = 'lock||billing||known';
    assert.ok((await daprOf(a).tryLock(key, 'worker-9', 30_000, 'billing')).acquired);
    const { leaseId } = await b.locks.describe(key);
    const peek = vi.spyOn(a.locks as Required<Store['locks']>, 'peek');
    try {
      // Wrong owner or app: the general path answers, and the grant is still known afterwards.
      expect(await daprOf(a).unlock(key, 'worker-0', 'billing')).toBe(UnlockStatus.LOCK_BELONGS_TO_OTHERS);
      expect(await daprOf(a).unlock(key, 'worker-9', 'payroll')).toBe(UnlockStatus.LOCK_BELONGS_TO_OTHERS);
      expect(peek).toHaveBeenCalledTimes(2);
      expect(await daprOf(a).unlock(key, 'worker-9', 'billing')).toBe(UnlockStatus.SUCCESS);
      expect(peek).toHaveBeenCalledTimes(2);
    } finally {
      peek.mockRestore();
    }
    expect((await b.locks.describe(key)).held).toBe(false);
    expect(await b.leases.get(leaseId!, 'billing')).toBeUndefined();
    expect(await daprOf(a).unlock(key, 'worker-9', 'billing')).toBe(UnlockStatus.LOCK_DOES_NOT_EXIST);
  });

  it('a remembered grant whose lock changed hands touches nothing and falls back to the read', async () => {
    const key = 'lock||billing||moved';
    assert.ok((await daprOf(a).tryLock(key, 'worker-6', 30_000, 'billing')).acquired);
    const first = (await a.locks.describe(key)).leaseId!;
    // Unlocked and taken again by the same owner through the other server: a's note is stale.
    expect(await daprOf(b).unlock(key, 'worker-6', 'billing')).toBe(UnlockStatus.SUCCESS);
    assert.ok((await daprOf(b).tryLock(key, 'worker-6', 30_000, 'billing')).acquired);
    const second = (await a.locks.describe(key)).leaseId!;
    expect(second).not.toBe(first);
    expect(await daprOf(a).unlock(key, 'worker-6', 'billing')).toBe(UnlockStatus.SUCCESS);
    expect((await b.locks.describe(key)).held).toBe(false);
    expect(await b.leases.get(second, 'billing')).toBeUndefined();
  });

  it('peek names the holding lease from what the server knows of it, in one read', async () => {
    const key = 'lock||billing||peek';
    assert.ok((await daprOf(a).tryLock(key, 'worker-5', 30_000, 'billing')).acquired);
    const seen = await b.locks.peek!(key);
    expect(seen).toMatchObject({ held: true, waiters: 0, app: 'billing' });
    expect(seen.lease).toMatchObject({ id: seen.leaseId, app: 'billing', owner: 'worker-5', implicit: true });
    expect(await daprOf(a).unlock(key, 'worker-5', 'billing')).toBe(UnlockStatus.SUCCESS);
    expect(await b.locks.peek!(key)).toEqual({ held: false, waiters: 0 });
  });

  it('an implicit lease expires like any other: the lock frees and the watch says lease.expired', async () => {
    const key = 'lock||billing||short';
    const events: WatchEvent[] = [];
    const stop = b.watch.subscribe({ prefix: '', onEvent: (event) => events.push(event) });
    try {
      await sleep(100);
      const taken = await daprOf(a).tryLock(key, 'worker-2', 1_000, 'billing');
      assert.ok(taken.acquired);
      const { leaseId } = await a.locks.describe(key);
      const deadline = Date.now() + 5_000;
      while (!events.some((e) => e.type === 'lease.expired') && Date.now() < deadline) await sleep(50);
      const seen = events.map((e) => `${e.type} ${e.leaseId}`);
      expect(seen[0]).toBe(`lock.acquired ${leaseId}`);
      // etcd deletes a lease's keys in one revision, in no set order.
      expect(seen.slice(1).sort()).toEqual([`lease.expired ${leaseId}`, `lock.released ${leaseId}`]);
      expect((await b.locks.describe(key)).held).toBe(false);
      expect(await daprOf(b).unlock(key, 'worker-2', 'billing')).toBe(UnlockStatus.LOCK_DOES_NOT_EXIST);
    } finally {
      stop();
    }
  });

  it('an Unlock frees the lock and ends the lease on return; etcd revokes it after, with no lease.expired', async () => {
    const key = 'lock||billing||unlock';
    const events: WatchEvent[] = [];
    const stop = b.watch.subscribe({ prefix: '', onEvent: (event) => events.push(event) });
    const etcd = new Etcd3({ hosts: cluster.endpoints.split(',').map((host) => `http://${host}`) });
    try {
      await sleep(100);
      assert.ok((await daprOf(a).tryLock(key, 'worker-8', 30_000, 'billing')).acquired);
      const { leaseId } = await b.locks.describe(key);
      const leasesHeld = (await etcd.leaseClient.leaseLeases()).leases.length;
      expect(await daprOf(b).unlock(key, 'worker-8', 'billing')).toBe(UnlockStatus.SUCCESS);
      expect((await a.locks.describe(key)).held).toBe(false);
      expect(await a.leases.get(leaseId!, 'billing')).toBeUndefined();
      const reuse = a.locks.acquire({ key: 'lock||billing||other', leaseId: leaseId!, app: 'billing' });
      await expect(reuse).rejects.toMatchObject({ code: 'LEASE_NOT_FOUND' });
      const deadline = Date.now() + 5_000;
      const held = async () => (await etcd.leaseClient.leaseLeases()).leases.length;
      while ((await held()) >= leasesHeld && Date.now() < deadline) await sleep(50);
      expect(await held()).toBe(leasesHeld - 1);
      await sleep(100);
      expect(events.filter((e) => e.leaseId === leaseId).map((e) => e.type)).toEqual([
        'lock.acquired',
        'lock.released',
      ]);
    } finally {
      etcd.close();
      stop();
    }
  });
});
