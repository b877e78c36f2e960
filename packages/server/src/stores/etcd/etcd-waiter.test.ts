import assert from 'node:assert/strict';
import { daprOf } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { EtcdKeys } from './etcd-keys.js';
import { etcdLeaseIdOf } from './etcd-lease-id.js';
import { createEtcdStore } from './index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describeWithBackend('etcd', 'lock.etcd waiters, holds and lease events across servers', (binary) => {
  let cluster: EtcdCluster;
  let a: Store;
  let b: Store;
  let raw: Etcd3;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary);
    const metadata = new Map([['endpoints', cluster.endpoints]]);
    [a, b] = [await createEtcdStore('lockstore', metadata), await createEtcdStore('lockstore', metadata)];
    raw = new Etcd3({ hosts: cluster.endpoints.split(',') });
  });

  afterAll(async () => {
    raw?.close();
    await Promise.all([a?.close(), b?.close()]);
    await cluster?.stop();
  });

  it('a retry on the same lease takes over the queue place a dead server left behind', async () => {
    const key = 'stranded';
    const holder = (await a.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    assert.ok((await a.locks.acquire({ app: 'test', key, leaseId: holder })).acquired);
    const first = (await a.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    // What a server killed mid-wait leaves: the queue key on the client's (still kept alive) lease.
    await raw.kv.put({
      key: new EtcdKeys('leasehold/').queueEntry(key, first),
      value: Buffer.from(first),
      lease: etcdLeaseIdOf(first)!,
    });
    const second = (await b.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    const order: string[] = [];
    const late = b.locks
      .acquire({ app: 'test', key, leaseId: second, waitMs: 10_000 })
      .then((r) => (order.push('second'), r));
    await sleep(50);
    const retried = a.locks
      .acquire({ app: 'test', key, leaseId: first, waitMs: 10_000 })
      .then((r) => (order.push('first'), r));
    await sleep(50);
    expect((await a.locks.describe(key)).waiters).toBe(2);
    assert.equal(await a.locks.release(key, holder, 'test'), 'released');
    assert.ok((await retried).acquired, 'the retry did not inherit the stranded place');
    assert.equal(await a.locks.release(key, first, 'test'), 'released');
    assert.ok((await late).acquired);
    expect(order).toEqual(['first', 'second']);
  });

  it('tryAcquire and Dapr TryLock answer false while a waiter queues for a free lock', async () => {
    const key = 'queued-free';
    const waiter = (await a.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    // The instant between a release and the head waiter's take: the lock is free, the queue is not.
    await raw.kv.put({
      key: new EtcdKeys('leasehold/').queueEntry(key, waiter),
      value: Buffer.from(waiter),
      lease: etcdLeaseIdOf(waiter)!,
    });
    const other = (await b.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    expect(await b.locks.acquire({ app: 'test', key, leaseId: other })).toEqual({ acquired: false });
    expect(await daprOf(b).tryLock(key, 'owner', 30_000, 'test')).toEqual({ acquired: false });
    expect((await a.locks.describe(key)).waiters).toBe(1);
    await a.leases.revoke(waiter, 'test');
    expect((await b.locks.acquire({ app: 'test', key, leaseId: other })).acquired).toBe(true);
  });

  it('two waits of one lease on one lock both end granted, with the one grant', async () => {
    const key = 'twins';
    const holder = (await a.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    assert.ok((await a.locks.acquire({ app: 'test', key, leaseId: holder })).acquired);
    const lease = (await a.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    const one = a.locks.acquire({ app: 'test', key, leaseId: lease, waitMs: 10_000 });
    const two = b.locks.acquire({ app: 'test', key, leaseId: lease, waitMs: 10_000 });
    await sleep(50);
    assert.equal(await a.locks.release(key, holder, 'test'), 'released');
    const [x, y] = await Promise.all([one, two]);
    assert.ok(x.acquired && y.acquired);
    expect(x.fencingToken).toBe(y.fencingToken);
    expect((await a.locks.describe(key)).waiters).toBe(0);
  });

  it('maxHoldMs still ends a hold when the granting server is gone, enforced by the head waiter', async () => {
    const key = 'orphaned-hold';
    const granting = await createEtcdStore('lockstore', new Map([['endpoints', cluster.endpoints]]));
    const holder = (await granting.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    const grant = await granting.locks.acquire({ app: 'test', key, leaseId: holder, maxHoldMs: 1_000 });
    assert.ok(grant.acquired);
    await granting.close(); // its hold timer dies with it; the lease lives on in etcd
    const waiter = (await a.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    const started = Date.now();
    const result = await a.locks.acquire({ app: 'test', key, leaseId: waiter, waitMs: 10_000 });
    assert.ok(result.acquired);
    expect(result.fencingToken).toBeGreaterThan(grant.fencingToken);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await a.leases.get(holder, 'test'))?.id).toBe(holder);
  });

  it('a watch tells an expired lease from a revoked one', async () => {
    const events: string[] = [];
    let expiring = '';
    const stop = b.watch.subscribe({
      prefix: '',
      onEvent: (event) => {
        if (event.type === 'lease.expired') events.push(event.leaseId ?? '');
      },
    });
    try {
      await sleep(100);
      const revoked = (await a.leases.grant({ app: 'test', ttlMs: 1_000 })).id;
      expiring = (await a.leases.grant({ app: 'test', ttlMs: 1_000 })).id;
      assert.ok((await a.locks.acquire({ app: 'test', key: 'expiry-watch', leaseId: expiring })).acquired);
      assert.equal(await a.leases.revoke(revoked, 'test'), true);
      const deadline = Date.now() + 5_000;
      while (events.length === 0 && Date.now() < deadline) await sleep(50);
    } finally {
      stop();
    }
    expect(events).toEqual([expiring]);
    expect(await a.locks.describe('expiry-watch')).toMatchObject({ held: false });
  });

  it('a waiter whose lease expires stops waiting with LEASE_NOT_FOUND', async () => {
    const key = 'expiring-waiter';
    assert.ok(
      (
        await a.locks.acquire({
          app: 'test',
          key,
          leaseId: (await a.leases.grant({ app: 'test', ttlMs: 30_000 })).id,
        })
      ).acquired,
    );
    const short = (await b.leases.grant({ app: 'test', ttlMs: 1_000 })).id;
    const started = Date.now();
    await expect(b.locks.acquire({ app: 'test', key, leaseId: short, waitMs: 10_000 })).rejects.toMatchObject(
      {
        code: 'LEASE_NOT_FOUND',
      },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await a.locks.describe(key)).waiters).toBe(0);
  });
});
