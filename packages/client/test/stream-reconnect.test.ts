import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseholdClient } from '../src/index.js';
import type { TcpProxy } from './support/tcp-proxy.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import type { TestServer } from './support/test-server.js';
import { startTestServer } from './support/test-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the stream after its socket is cut', () => {
  let server: TestServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = await startTcpProxy(server.streamPort);
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('reconnects by itself, losing no lease and no lock, and re-enters waits', async () => {
    const client = new LeaseholdClient({ url: proxy.url });
    const other = new LeaseholdClient({ url: server.streamUrl });
    const events: string[] = [];
    client.on('disconnect', () => events.push('disconnect'));
    client.on('reconnect', () => events.push('reconnect'));
    client.on('reentered', () => events.push('reentered'));

    const ttlMs = 1_500;
    const lease = await client.leases.grant({ ttlMs });
    const held = await client.locks.acquire('lock:kept', { lease });
    const otherLease = await other.leases.grant({ ttlMs: 10_000 });
    await other.locks.acquire('lock:wanted', { lease: otherLease });
    const waiting = client.locks.acquire('lock:wanted', { lease, waitMs: 10_000 });
    await sleep(100);

    const reconnected = new Promise<number>((resolve) =>
      client.once('reconnect', () => resolve(performance.now())),
    );
    const cutAt = performance.now();
    proxy.cutAll();
    const downMs = (await reconnected) - cutAt;
    console.log(`stream reconnected ${downMs.toFixed(1)} ms after the cut (lease TTL ${ttlMs} ms)`);
    expect(downMs).toBeLessThan(ttlMs);

    // Several TTLs later the heartbeat on the new connection still covers the lease.
    await sleep(ttlMs * 2);
    expect(lease.lost).toBe(false);
    const described = await other.locks.describe('lock:kept');
    expect(described.leaseId).toBe(lease.id);
    expect(described.fencingToken).toBe(held.fencingToken);

    await other.locks.release('lock:wanted', { lease: otherLease });
    const got = await waiting;
    expect(got.acquired).toBe(true);
    expect(got.reentered).toBeGreaterThanOrEqual(1);
    expect(events).toEqual(['disconnect', 'reconnect', 'reentered']);

    await lease.revoke();
    await otherLease.revoke();
    await Promise.all([client.close(), other.close()]);
  });

  it('re-enters a waiting multi-lock after a reconnect, and it still gets the whole set', async () => {
    const client = new LeaseholdClient({ url: proxy.url });
    const other = new LeaseholdClient({ url: server.streamUrl });
    const lease = await client.leases.grant({ ttlMs: 5_000 });
    const otherLease = await other.leases.grant({ ttlMs: 10_000 });
    await other.locks.acquire('multi:b', { lease: otherLease });
    const waiting = client.locks.acquireAll(['multi:a', 'multi:b'], { lease, waitMs: 10_000 });
    while ((await other.locks.describe('multi:a')).waiters === 0) await sleep(10);
    const reconnected = new Promise<void>((resolve) => client.once('reentered', () => resolve()));
    proxy.cutAll();
    await reconnected;
    // The wait cut with its socket leaves every queue; the re-sent one queues again, once.
    const settleBy = Date.now() + 2_000;
    while ((await other.locks.describe('multi:a')).waiters !== 1 && Date.now() < settleBy) await sleep(10);
    expect((await other.locks.describe('multi:a')).waiters).toBe(1);
    expect((await other.locks.describe('multi:a')).held).toBe(false);
    await other.locks.release('multi:b', { lease: otherLease });
    const got = await waiting;
    expect(got.acquired).toBe(true);
    expect(got.reentered).toBeGreaterThanOrEqual(1);
    expect((await other.locks.describe('multi:a')).leaseId).toBe(lease.id);
    await lease.revoke();
    await otherLease.revoke();
    await Promise.all([client.close(), other.close()]);
  });
});
