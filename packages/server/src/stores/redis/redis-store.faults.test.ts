import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LeaseholdError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

/** Resolves the error an operation rejects with, and how long it took. */
async function failure(operation: Promise<unknown>): Promise<{ code: string; ms: number }> {
  const started = performance.now();
  try {
    await operation;
  } catch (error) {
    return {
      code: error instanceof LeaseholdError ? error.code : String(error),
      ms: performance.now() - started,
    };
  }
  return { code: 'resolved', ms: performance.now() - started };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - started;
}

describeWithBackend('redis-server', 'lock.redis when its Redis crashes', (binary) => {
  let server: RedisServer;
  let store: Store;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    const metadata = new Map([
      ['redishost', server.address],
      ['readtimeout', '1s'],
      ['dialtimeout', '500ms'],
    ]);
    store = await createRedisStore('lockstore', metadata);
  });
  afterAll(async () => {
    await store?.close();
    await server?.destroy();
  });

  it('rejects with STORE_ERROR promptly after kill -9 and recovers by itself on restart', async () => {
    const lease = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
    expect((await store.locks.acquire({ app: 'test', key: 'f/1', leaseId: lease.id })).acquired).toBe(true);
    const other = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
    const waiting = failure(store.locks.acquire({ app: 'test', key: 'f/1', leaseId: other.id, waitMs: 500 }));
    await new Promise((r) => setTimeout(r, 50));

    await server.stop('SIGKILL');
    for (const op of [
      store.leases.grant({ app: 'test', ttlMs: 30_000 }),
      store.locks.acquire({ app: 'test', key: 'f/2', leaseId: lease.id }),
      store.locks.release('f/1', lease.id, 'test'),
      store.kv!.put({ app: 'test', key: 'k', value: 'v' }),
      store.locks.describe('f/1'),
    ]) {
      const { code, ms } = await failure(op);
      expect(code).toBe('STORE_ERROR');
      expect(ms).toBeLessThan(1_500);
    }
    // A waiter whose wait ends while Redis is down cannot be taken out of the queue: it fails.
    const waited = await waiting;
    expect(waited.code).toBe('STORE_ERROR');
    expect(waited.ms).toBeLessThan(2_000);
    await expect(store.ping()).rejects.toThrow(/^cannot reach 127\.0\.0\.1:\d+: /);

    await server.restart();
    const recoveredMs = await until(() => store.ping().catch(() => false), 5_000);
    console.log(`recovered ${recoveredMs.toFixed(0)} ms after Redis came back`);
    // The restarted Redis has no persistence: it starts empty, and everything works again.
    const fresh = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
    expect((await store.locks.acquire({ app: 'test', key: 'f/1', leaseId: fresh.id })).acquired).toBe(true);
    const next = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
    const queued = store.locks.acquire({ app: 'test', key: 'f/1', leaseId: next.id, waitMs: 2_000 });
    await until(async () => (await store.locks.describe('f/1')).waiters === 1, 1_000);
    expect(await store.locks.release('f/1', fresh.id, 'test')).toBe('released');
    // The hand-off message arrives over the re-subscribed channel.
    expect((await queued).acquired).toBe(true);
  });

  it('rejects with STORE_ERROR after readTimeout when Redis hangs, then carries on', async () => {
    const lease = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
    server.signal('SIGSTOP');
    try {
      const { code, ms } = await failure(store.locks.acquire({ app: 'test', key: 'h/1', leaseId: lease.id }));
      expect(code).toBe('STORE_ERROR');
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(2_000);
    } finally {
      server.signal('SIGCONT');
    }
    await until(() => store.ping().catch(() => false), 5_000);
    expect(await store.leases.keepAlive(lease.id, 'test')).toBeDefined();
  });

  it('a grant published while the subscriber was disconnected still reaches its waiter', async () => {
    const other = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
    const raw = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      const holder = await other.leases.grant({ app: 'test', ttlMs: 30_000 });
      const waiter = await store.leases.grant({ app: 'test', ttlMs: 30_000 });
      expect((await other.locks.acquire({ app: 'test', key: 'lost/1', leaseId: holder.id })).acquired).toBe(
        true,
      );
      const started = performance.now();
      const waiting = store.locks.acquire({ app: 'test', key: 'lost/1', leaseId: waiter.id, waitMs: 5_000 });
      await until(async () => (await other.locks.describe('lost/1')).waiters === 1, 1_000);
      // Drop every subscriber connection, then release before they are back: the message is lost.
      await raw.client('KILL', 'TYPE', 'pubsub');
      expect(await other.locks.release('lost/1', holder.id, 'test')).toBe('released');
      const result = await waiting;
      expect(result.acquired).toBe(true);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect((await store.locks.describe('lost/1')).leaseId).toBe(waiter.id);
    } finally {
      raw.disconnect();
      await other.close();
    }
  });
});
