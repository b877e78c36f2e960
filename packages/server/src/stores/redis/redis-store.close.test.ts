import { afterAll, beforeAll, expect, it } from 'vitest';
import { LeaseholdError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

async function code(operation: Promise<unknown>): Promise<string> {
  try {
    await operation;
    return 'resolved';
  } catch (error) {
    return error instanceof LeaseholdError ? error.code : String(error);
  }
}

describeWithBackend('redis-server', 'lock.redis close', (binary) => {
  let server: RedisServer;
  let survivor: Store;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    survivor = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
  });
  afterAll(async () => {
    await survivor?.close();
    await server?.destroy();
  });

  it('fails its waiters, takes them out of the Redis queue, and refuses further calls', async () => {
    const closing = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
    const holder = await survivor.leases.grant({ app: 'test', ttlMs: 30_000 });
    expect((await survivor.locks.acquire({ app: 'test', key: 'c/1', leaseId: holder.id })).acquired).toBe(
      true,
    );
    const lease = await closing.leases.grant({ app: 'test', ttlMs: 30_000 });
    const waiting = code(
      closing.locks.acquire({ app: 'test', key: 'c/1', leaseId: lease.id, waitMs: 10_000 }),
    );
    while ((await survivor.locks.describe('c/1')).waiters < 1) await new Promise((r) => setTimeout(r, 5));
    await closing.close();
    expect(await waiting).toBe('UNAVAILABLE');
    expect((await survivor.locks.describe('c/1')).waiters).toBe(0);
    expect(await code(closing.leases.grant({ app: 'test', ttlMs: 30_000 }))).toBe('UNAVAILABLE');
    expect(await closing.ping()).toBe(false);
    // The lock stays with its holder; the closed server's waiter was never granted it.
    expect(await survivor.locks.release('c/1', holder.id, 'test')).toBe('released');
    expect((await survivor.locks.describe('c/1')).held).toBe(false);
  });

  it('opens while Redis does not answer (ADR 0009), not ready, naming the host and cause', async () => {
    const metadata = new Map([
      ['redishost', '127.0.0.1:1'],
      ['dialtimeout', '200ms'],
    ]);
    const down = await createRedisStore('lockstore', metadata);
    try {
      await expect(down.ping()).rejects.toThrow('cannot reach 127.0.0.1:1: ECONNREFUSED');
      expect(await code(down.leases.grant({ app: 'test', ttlMs: 30_000 }))).toBe('STORE_ERROR');
    } finally {
      await down.close();
    }
    expect(await code(createRedisStore('lockstore', new Map([['redistype', 'cluster']])))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});
