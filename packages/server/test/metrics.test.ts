import { LeaseholdClient } from '@leasehold/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { EtcdCluster } from './support/etcd-harness.js';
import { connectRpc } from './support/grpc-client.js';
import { RedisServer } from './support/redis-harness.js';
import type { TenantServer } from './support/tenants.js';
import { TOKENS, startTenantServer } from './support/tenants.js';

type Labels = Record<string, string>;

/** Parses Prometheus text exposition into samples (comments skipped). */
function parseExposition(text: string): { name: string; labels: Labels; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Labels = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** One scrape: the sum of the samples of `name` whose labels include `labels`. */
type Scrape = (name: string, labels?: Labels) => number;

async function scrape(t: TenantServer): Promise<Scrape> {
  const response = await fetch(`${t.server.url}/metrics`);
  expect(response.status).toBe(200);
  const samples = parseExposition(await response.text());
  return (name, labels = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
}

/** Scrapes until `check` passes on a scrape, or fails with the last one after `ms`. */
async function eventually(t: TenantServer, check: (now: Scrape) => boolean, ms = 15_000): Promise<Scrape> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await scrape(t);
    if (check(now) || Date.now() > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What every transport does, on the `lockstore` and `shared` stores of `type`. */
function metricsSuite(type: string, metadata: () => Record<string, string>) {
  let t: TenantServer;
  let before: Scrape;

  beforeAll(async () => {
    t = await startTenantServer(type, metadata());
    before = await scrape(t);
  });
  afterAll(() => t?.close());

  it('counts HTTP native and Dapr requests, acquire outcomes, waits, holds and fencing', async () => {
    const grant = async (store = 'lockstore', ttlMs = 60_000) =>
      (await t.http('orders', 'POST', `/v1/${store}/leases`, { ttlMs })).body.id as string;
    const [first, second] = [await grant(), await grant()];
    const acquire = (leaseId: string, waitMs = 0) =>
      t.http('orders', 'POST', '/v1/lockstore/locks/acquire', { name: 'job', leaseId, waitMs });
    const old = (await acquire(first)).body;
    expect(old.acquired).toBe(true);
    expect((await acquire(second)).body.acquired).toBe(false); // refused
    expect((await acquire(second, 200)).body.acquired).toBe(false); // timed out
    await t.http('orders', 'POST', '/v1/lockstore/locks/release', { name: 'job', leaseId: first });
    expect((await acquire(second)).body.acquired).toBe(true);
    const fenced = await t.http('orders', 'PUT', '/v1/lockstore/kv', {
      key: 'out',
      value: 'stale',
      fence: { lock: 'job', token: old.fencingToken },
    });
    expect(fenced.body.errorCode).toBe('FENCED');

    const shared = await grant('shared');
    await t.http('orders', 'POST', '/v1/shared/locks/acquire', { name: 'admin-target', leaseId: shared });
    const forced = await t.http('ops', 'POST', '/v1/shared/locks/force-release', { name: 'admin-target' });
    expect(forced.body.released).toBe(true);

    const dapr = { resourceId: 'dapr-job', lockOwner: 'o', expiryInSeconds: 60 };
    expect((await t.http('orders', 'POST', '/v1.0-alpha1/lock/lockstore', dapr)).body.success).toBe(true);
    expect((await t.http('orders', 'POST', '/v1.0-alpha1/unlock/lockstore', dapr)).body.status).toBe(0);

    const now = await eventually(t, (s) => s('leasehold_lock_hold_seconds_count') > 0);
    const moved = (name: string, labels: Labels) => now(name, labels) - before(name, labels);
    expect(moved('leasehold_requests_total', { transport: 'http', op: 'acquire', outcome: 'ok' })).toBe(5);
    expect(moved('leasehold_requests_total', { transport: 'http', op: 'put', outcome: 'FENCED' })).toBe(1);
    expect(moved('leasehold_requests_total', { transport: 'http', op: 'daprTryLock', outcome: 'ok' })).toBe(
      1,
    );
    expect(moved('leasehold_requests_total', { transport: 'http', op: 'daprUnlock', outcome: 'ok' })).toBe(1);
    expect(moved('leasehold_request_duration_seconds_count', { transport: 'http' })).toBeGreaterThan(8);
    const acquires = (outcome: string) =>
      moved('leasehold_lock_acquires_total', { store: 'lockstore', outcome });
    expect([acquires('granted'), acquires('refused'), acquires('timed_out')]).toEqual([3, 1, 1]);
    expect(moved('leasehold_lock_wait_seconds_count', { store: 'lockstore', outcome: 'timed_out' })).toBe(1);
    expect(moved('leasehold_lock_wait_seconds_sum', { store: 'lockstore' })).toBeGreaterThanOrEqual(0.15);
    expect(moved('leasehold_lock_hold_seconds_count', { store: 'lockstore' })).toBeGreaterThanOrEqual(1);
    expect(moved('leasehold_fencing_rejections_total', { store: 'lockstore' })).toBe(1);
    expect(moved('leasehold_lock_force_releases_total', { store: 'shared' })).toBe(1);
    expect(
      moved('leasehold_store_operation_duration_seconds_count', { store: 'lockstore', op: 'acquire' }),
    ).toBe(3); // the acquire that waited is in the wait histogram instead
    expect(moved('leasehold_store_operation_duration_seconds_count', { store: 'lockstore', op: 'put' })).toBe(
      1,
    );
  });

  it('counts the SDK over the stream, and shows leases, held locks and waiters while they exist', async () => {
    const client = new LeaseholdClient({ url: t.server.url, store: 'lockstore', token: TOKENS.orders });
    try {
      const [holder, waiter] = [
        await client.leases.grant({ ttlMs: 30_000 }),
        await client.leases.grant({ ttlMs: 30_000 }),
      ];
      const lock = await client.locks.acquire('streamed', { lease: holder });
      expect(lock.acquired).toBe(true);
      const gaveUp = new AbortController();
      const waiting = client.locks.acquire('streamed', {
        lease: waiter,
        waitMs: 30_000,
        signal: gaveUp.signal,
      });
      const during = await eventually(t, (s) => s('leasehold_lock_waiters', { store: 'lockstore' }) > 0);
      for (const gauge of ['leasehold_leases', 'leasehold_locks_held', 'leasehold_lock_waiters']) {
        expect(during(gauge, { store: 'lockstore' }), gauge).toBeGreaterThan(
          before(gauge, { store: 'lockstore' }),
        );
        expect(during(gauge, { store: 'shared' }), gauge).toBeGreaterThanOrEqual(0);
      }
      gaveUp.abort();
      await expect(waiting).rejects.toBeDefined();
      await lock.release();
      await client.leases.grant({ ttlMs: 30_000 }).then((l) => l.revoke());

      const now = await eventually(
        t,
        (s) => s('leasehold_lock_acquires_total', { outcome: 'cancelled' }) > 0,
      );
      const moved = (name: string, labels: Labels) => now(name, labels) - before(name, labels);
      expect(moved('leasehold_requests_total', { transport: 'stream', op: 'acquire', outcome: 'ok' })).toBe(
        2,
      );
      expect(
        moved('leasehold_requests_total', { transport: 'stream', op: 'grantLease', outcome: 'ok' }),
      ).toBe(3);
      expect(moved('leasehold_requests_total', { transport: 'stream', op: 'release', outcome: 'ok' })).toBe(
        1,
      );
      // Stream requests are counted, not timed (see stream-connection.ts); their store ops are timed.
      expect(moved('leasehold_request_duration_seconds_count', { transport: 'stream' })).toBe(0);
      // One release over HTTP in the test above, one here.
      expect(
        moved('leasehold_store_operation_duration_seconds_count', { store: 'lockstore', op: 'release' }),
      ).toBe(2);
      expect(moved('leasehold_lock_acquires_total', { store: 'lockstore', outcome: 'cancelled' })).toBe(1);
      expect(moved('leasehold_lock_wait_seconds_count', { store: 'lockstore', outcome: 'cancelled' })).toBe(
        1,
      );
    } finally {
      await client.close();
    }
  });

  it('counts gRPC TryLock and Unlock, refusals included', async () => {
    const rpc = await connectRpc(t.server.grpcPort);
    try {
      const request = { storeName: 'lockstore', resourceId: 'grpc-job', lockOwner: 'a', expiryInSeconds: 60 };
      expect((await rpc.call('TryLockAlpha1', request, TOKENS.orders)).success).toBe(true);
      expect((await rpc.call('TryLockAlpha1', { ...request, lockOwner: 'b' }, TOKENS.orders)).success).toBe(
        false,
      );
      expect((await rpc.call('UnlockAlpha1', request, TOKENS.orders)).status).toBe(0);
      await expect(rpc.call('TryLockAlpha1', request, 'wrong-token')).rejects.toMatchObject({ code: 16 });
    } finally {
      rpc.close();
    }
    const now = await scrape(t);
    const moved = (name: string, labels: Labels) => now(name, labels) - before(name, labels);
    expect(moved('leasehold_requests_total', { transport: 'grpc', op: 'daprTryLock', outcome: 'ok' })).toBe(
      2,
    );
    expect(moved('leasehold_requests_total', { transport: 'grpc', op: 'daprUnlock', outcome: 'ok' })).toBe(1);
    expect(
      moved('leasehold_requests_total', {
        transport: 'grpc',
        op: 'daprTryLock',
        outcome: 'ERR_UNAUTHORIZED',
      }),
    ).toBe(1);
    expect(moved('leasehold_request_duration_seconds_count', { transport: 'grpc' })).toBe(4);
    // Two HTTP Dapr locks and two gRPC ones granted on lockstore by now; the refused one too.
    expect(moved('leasehold_lock_acquires_total', { store: 'lockstore', outcome: 'refused' })).toBe(2);
    expect(
      moved('leasehold_store_operation_duration_seconds_count', { store: 'lockstore', op: 'daprTryLock' }),
    ).toBe(3);
  });

  it('counts lease expiries, and store failures per store and op', async () => {
    const short = await t.http('orders', 'POST', '/v1/lockstore/leases', { ttlMs: 1_000 });
    expect(short.status).toBe(200);
    const expired = await eventually(
      t,
      (s) => s('leasehold_lease_expiries_total', { store: 'lockstore' }) > 0,
    );
    expect(expired('leasehold_lease_expiries_total', { store: 'lockstore' })).toBeGreaterThanOrEqual(1);

    // A store that fails answers 503 and counts as a failure of that store and op, no other.
    const store = t.server.service.binding('shared').store;
    await store.close();
    const failed = await t.http('orders', 'POST', '/v1/shared/leases', { ttlMs: 60_000 });
    expect(failed.status).toBe(503);
    const now = await scrape(t);
    const moved = (name: string, labels: Labels) => now(name, labels) - before(name, labels);
    expect(moved('leasehold_store_errors_total', { store: 'shared', op: 'grantLease' })).toBe(1);
    expect(moved('leasehold_store_errors_total', { store: 'lockstore' })).toBe(0);
    expect(
      moved('leasehold_requests_total', { transport: 'http', op: 'grantLease', outcome: 'UNAVAILABLE' }),
    ).toBe(1);
    // Its gauges are left out rather than hanging the scrape; the other store still reports.
    expect(now('leasehold_leases', { store: 'lockstore' })).toBeGreaterThanOrEqual(0);
  });
  it('counts every route of the op table, lease paths and the key listing included', async () => {
    const lease = (await t.http('orders', 'POST', '/v1/lockstore/leases', { ttlMs: 60_000 })).body
      .id as string;
    expect((await t.http('orders', 'POST', `/v1/lockstore/leases/${lease}/keepalive`)).status).toBe(200);
    expect((await t.http('orders', 'GET', `/v1/lockstore/leases/${lease}`)).status).toBe(200);
    expect((await t.http('orders', 'GET', `/v1/lockstore/leases/${lease}/ttl`)).status).toBe(200);
    expect((await t.http('orders', 'GET', '/v1/lockstore/kv?prefix=none/')).status).toBe(200);
    expect((await t.http('orders', 'DELETE', `/v1/lockstore/leases/${lease}`)).status).toBe(200);
    const now = await scrape(t);
    const moved = (op: string) =>
      now('leasehold_requests_total', { transport: 'http', op, outcome: 'ok' }) -
      before('leasehold_requests_total', { transport: 'http', op, outcome: 'ok' });
    const ops = ['keepAlive', 'getLease', 'leaseTimeToLive', 'listKeys', 'revokeLease'];
    expect(ops.map(moved)).toEqual([1, 1, 1, 1, 1]);
  });
}

/**
 * Semaphores and read/write locks: their requests, acquire outcomes and waits, and the gauges of
 * what is held and awaited. `engineCounts`: the store counts pool waiters and read/write locks by mode
 * (memory, sqlite); `counts`: which of semaphores and permits held it counts (etcd the first, Redis the
 * second). Without `rwlocks` the RW part is skipped.
 */
function poolMetricsSuite(
  type: string,
  metadata: () => Record<string, string>,
  has: { rwlocks: boolean; engineCounts: boolean; counts: 'semaphores' | 'permits' | 'all' },
) {
  let t: TenantServer;

  beforeAll(async () => {
    t = await startTenantServer(type, metadata());
  });
  afterAll(() => t?.close());

  it('counts semaphore and read/write lock acquires by outcome, and gauges what is held and awaited', async () => {
    const before = await scrape(t);
    const lease = async () =>
      (await t.http('orders', 'POST', '/v1/lockstore/leases', { ttlMs: 60_000 })).body.id as string;
    const [a, b, c] = [await lease(), await lease(), await lease()];
    const post = (path: string, body: Record<string, unknown>) =>
      t.http('orders', 'POST', `/v1/lockstore/${path}`, body);
    const permits = (leaseId: string, extra: Record<string, unknown> = {}) =>
      post('semaphores/acquire', { name: 'pool', leaseId, limit: 2, ...extra });
    expect((await permits(a, { permits: 2 })).body.acquired).toBe(true);
    expect((await permits(b)).body.acquired).toBe(false); // refused: nothing free
    const waitingPermit = permits(c, { waitMs: 30_000 });
    const rw = (leaseId: string, mode: string, waitMs = 0) =>
      post('rwlocks/acquire', { name: 'cfg', leaseId, mode, waitMs });
    let waitingWrite: ReturnType<typeof rw> | undefined;
    if (has.rwlocks) {
      expect((await rw(a, 'read')).body.acquired).toBe(true);
      expect((await rw(b, 'read')).body.acquired).toBe(true);
      waitingWrite = rw(c, 'write', 30_000);
    }
    const gauge = (now: Scrape, name: string, labels: Labels = {}) =>
      now(name, { store: 'lockstore', ...labels });
    const during = await eventually(
      t,
      (s) =>
        !has.engineCounts ||
        (gauge(s, 'leasehold_semaphore_waiters') === 1 && gauge(s, 'leasehold_rwlock_waiters') === 1),
    );
    if (has.counts !== 'permits') expect(gauge(during, 'leasehold_semaphores')).toBe(1);
    if (has.counts !== 'semaphores') expect(gauge(during, 'leasehold_permits_held')).toBe(2);
    if (has.engineCounts) {
      expect(gauge(during, 'leasehold_semaphore_waiters')).toBe(1);
      expect(gauge(during, 'leasehold_rwlocks_held', { mode: 'read' })).toBe(1);
      expect(gauge(during, 'leasehold_rwlocks_held', { mode: 'write' })).toBe(0);
      expect(gauge(during, 'leasehold_rwlock_waiters')).toBe(1);
    }

    // Letting go hands the permit and the write lock to the waiters.
    expect((await post('semaphores/release', { name: 'pool', leaseId: a })).body.status).toBe('released');
    expect((await waitingPermit).body).toMatchObject({ acquired: true, permits: 1 });
    if (waitingWrite) {
      await post('rwlocks/release', { name: 'cfg', leaseId: a });
      await post('rwlocks/release', { name: 'cfg', leaseId: b });
      expect((await waitingWrite).body).toMatchObject({ acquired: true, mode: 'write' });
    }
    const now = await scrape(t);
    const moved = (name: string, labels: Labels) => now(name, labels) - before(name, labels);
    const acquires = (kind: string, outcome: string) =>
      moved('leasehold_permit_acquires_total', { store: 'lockstore', kind, outcome });
    expect([acquires('semaphore', 'granted'), acquires('semaphore', 'refused')]).toEqual([2, 1]);
    expect(
      moved('leasehold_permit_wait_seconds_count', {
        store: 'lockstore',
        kind: 'semaphore',
        outcome: 'granted',
      }),
    ).toBe(1);
    expect(moved('leasehold_lock_acquires_total', { store: 'lockstore' })).toBe(0); // locks only
    const requests = (op: string) =>
      moved('leasehold_requests_total', { transport: 'http', op, outcome: 'ok' });
    expect([requests('semaphores.acquire'), requests('semaphores.release')]).toEqual([3, 1]);
    // The acquire that waited is in the wait histogram, not the store-operation one.
    expect(
      moved('leasehold_store_operation_duration_seconds_count', {
        store: 'lockstore',
        op: 'semaphoreAcquire',
      }),
    ).toBe(2);
    if (has.engineCounts) {
      expect(gauge(now, 'leasehold_permits_held')).toBe(1);
      expect(gauge(now, 'leasehold_semaphore_waiters')).toBe(0);
    }
    if (!has.rwlocks) return;
    expect(acquires('rwlock', 'granted')).toBe(3);
    expect([requests('rwlocks.acquire'), requests('rwlocks.release')]).toEqual([3, 2]);
    if (!has.engineCounts) return;
    expect(gauge(now, 'leasehold_rwlocks_held', { mode: 'write' })).toBe(1);
    expect(gauge(now, 'leasehold_rwlocks_held', { mode: 'read' })).toBe(0);
    expect(gauge(now, 'leasehold_rwlock_waiters')).toBe(0);
  });
}

describe('semaphore and read/write lock metrics on lock.memory', () =>
  poolMetricsSuite('lock.memory', () => ({}), { rwlocks: true, engineCounts: true, counts: 'all' }));
describe('semaphore and read/write lock metrics on lock.sqlite', () =>
  poolMetricsSuite('lock.sqlite', () => ({}), { rwlocks: true, engineCounts: true, counts: 'all' }));

describe('metrics on lock.memory', () => metricsSuite('lock.memory', () => ({})));
describe('metrics on lock.sqlite', () => metricsSuite('lock.sqlite', () => ({})));

describeWithBackend('redis-server', 'metrics on lock.redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start(binary);
  });
  afterAll(() => redis?.stop());
  metricsSuite('lock.redis', () => ({ redisHost: `127.0.0.1:${redis.port}` }));
  poolMetricsSuite('lock.redis', () => ({ redisHost: `127.0.0.1:${redis.port}` }), {
    rwlocks: true,
    engineCounts: false,
    counts: 'permits',
  });
});

describeWithBackend('redis-server', 'metrics on lock.redis with Redlock (redisHosts)', (binary) => {
  const masters: RedisServer[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) masters.push(await RedisServer.start(binary));
  });
  afterAll(() => Promise.all(masters.map((m) => m.stop())));
  metricsSuite('lock.redis', () => ({ redisHosts: masters.map((m) => `127.0.0.1:${m.port}`).join(',') }));
});

describeWithBackend('etcd', 'metrics on lock.etcd', (binary) => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
  });
  afterAll(() => cluster?.stop());
  metricsSuite('lock.etcd', () => ({ endpoints: cluster.endpoints }));
  poolMetricsSuite('lock.etcd', () => ({ endpoints: cluster.endpoints }), {
    rwlocks: true,
    engineCounts: false,
    counts: 'semaphores',
  });
});
