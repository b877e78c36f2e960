import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { LeaseholdError, Store, WatchEvent } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { RedisServer } from '../../../test/support/redis-harness.js';
import { createRedisStore } from './index.js';

const P = 'leasehold:{lockstore}:';

async function until(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A watch of prefix `w/` that records its events and its error. */
function watch(store: Store) {
  const seen = { events: [] as WatchEvent[], error: undefined as LeaseholdError | undefined, live: false };
  const stop = store.watch.subscribe({
    prefix: 'w/',
    onEvent: (event) => seen.events.push(event),
    onLive: () => (seen.live = true),
    onError: (error) => (seen.error = error),
  });
  return { seen, stop };
}

describeWithBackend('redis-server', 'lock.redis watch read from the event stream (ADR 0019)', (binary) => {
  let server: RedisServer;
  let raw: Redis;
  let store: Store;
  beforeAll(async () => {
    server = await RedisServer.start(binary);
    raw = new Redis({ host: '127.0.0.1', port: server.port });
    store = await createRedisStore('lockstore', new Map([['redishost', server.address]]));
  });
  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
    await server?.destroy();
  });

  it('delivers each event once, in revision order, with nothing published on a channel', async () => {
    const { seen, stop } = watch(store);
    await until(() => seen.live);
    const lease = await store.leases.grant({ app: 'a', ttlMs: 30_000 });
    await raw.config('RESETSTAT');
    await store.locks.acquire({ app: 'a', key: 'w/1', leaseId: lease.id });
    await store.locks.release('w/1', lease.id, 'a');
    await until(() => seen.events.length === 2);
    stop();
    expect(seen.events.map((e) => e.type)).toEqual(['lock.acquired', 'lock.released']);
    expect(seen.events[1]!.revision).toBe(seen.events[0]!.revision + 1);
    expect(await raw.info('commandstats')).not.toContain('cmdstat_publish');
  });

  it('ends every watch with UNAVAILABLE when it finds a revision missing (read after trimming)', async () => {
    const { seen } = watch(store);
    await until(() => seen.live);
    const revision = Number(await raw.get(`${P}rev`));
    await raw.xadd(
      `${P}history`,
      `${revision + 5}`,
      'e',
      JSON.stringify({ type: 'put', key: 'w/x', revision }),
    );
    await until(() => seen.error !== undefined);
    expect(seen.error?.code).toBe('UNAVAILABLE');
    await raw.set(`${P}rev`, revision + 5);
  });

  it('ends every watch with UNAVAILABLE when its reader connection is lost; a new watch reads on', async () => {
    const { seen } = watch(store);
    await until(() => seen.live);
    const clients = await raw.client('LIST');
    const id = /id=(\d+) [^\n]*cmd=xread/.exec(String(clients))?.[1];
    expect(id).toBeDefined();
    await raw.client('KILL', 'ID', id!);
    await until(() => seen.error !== undefined);
    expect(seen.error?.code).toBe('UNAVAILABLE');
    let next: ReturnType<typeof watch> | undefined;
    await until(async () => {
      next?.stop();
      next = watch(store);
      await until(() => next!.seen.live || next!.seen.error !== undefined, 1_000).catch(() => undefined);
      return next.seen.live;
    }, 5_000);
    const lease = await store.leases.grant({ app: 'a', ttlMs: 30_000 });
    await store.locks.acquire({ app: 'a', key: 'w/2', leaseId: lease.id });
    await until(() => next!.seen.events.some((e) => e.key === 'w/2'));
    next!.stop();
  });
});
