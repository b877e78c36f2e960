import { afterAll, beforeAll, expect } from 'vitest';
import type { AcquireResult } from '@leasehold/core';
import { createRedisStore } from '../../src/stores/redis/index.js';
import { RedlockStore } from '../../src/stores/redlock/redlock-store.js';
import { RedisServer } from './redis-harness.js';

/** Three independent masters and a Redlock store over them, for one suite. */
export interface RedlockSuite {
  readonly store: RedlockStore;
  readonly servers: readonly RedisServer[];
}

/**
 * Starts three masters and opens a `lock.redis` store with `redisHosts` over them before the
 * suite, and closes both after it. `metadata` adds component fields (names lower-cased).
 */
export function useRedlock(binary: string, metadata: Readonly<Record<string, string>> = {}): RedlockSuite {
  let servers: RedisServer[] = [];
  let store: RedlockStore | undefined;
  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => RedisServer.start(binary)));
    const hosts = servers.map((s) => s.address).join(',');
    const opened = await createRedisStore(
      'lockstore',
      new Map([['redishosts', hosts], ...Object.entries(metadata)]),
    );
    if (!(opened instanceof RedlockStore)) throw new Error('redisHosts did not open a Redlock store');
    store = opened;
  });
  afterAll(async () => {
    await store?.close();
    await Promise.all(servers.map((s) => s.destroy()));
  });
  return {
    get store() {
      if (!store) throw new Error('the Redlock store is opened before the suite runs');
      return store;
    },
    get servers() {
      return servers;
    },
  };
}

/** The fencing token of an acquire that must have succeeded. */
export function grantedToken(result: AcquireResult): number {
  expect(result.acquired).toBe(true);
  return (result as { fencingToken: number }).fencingToken;
}
