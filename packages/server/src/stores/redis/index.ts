import { storeError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import { parseRedisConfig } from './config.js';
import type { RedisStoreConfig } from './config.js';
import { openClient } from './connect.js';
import type { RedisTarget } from './connect.js';
import { RedisStore } from './redis-store.js';
import { openRedlockStore } from './redlock-store.js';

export type { RedisStoreConfig } from './config.js';
export { parseRedisConfig } from './config.js';

/** Opens a `lock.redis` store from its component metadata (names lower-cased); fails loudly on bad metadata. */
export async function createRedisStore(name: string, metadata: ReadonlyMap<string, string>): Promise<Store> {
  const config = parseRedisConfig(name, metadata);
  if (config.mode === 'redlock') {
    return openRedlockStore(name, config);
  }
  return openRedisStore(name, config);
}

async function openRedisStore(
  name: string,
  config: Exclude<RedisStoreConfig, { mode: 'redlock' }>,
): Promise<Store> {
  const target: RedisTarget =
    config.mode === 'node'
      ? { endpoint: config.endpoint }
      : { sentinels: config.sentinels, masterName: config.masterName };
  const opened = await Promise.allSettled([openClient(config, target), openClient(config, target)]);
  const [command, subscriber] = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
  if (!command || !subscriber) {
    command?.disconnect();
    subscriber?.disconnect();
    const failed = opened.find((o) => o.status === 'rejected');
    throw storeError(`connect (component ${name})`, failed?.reason);
  }
  const store = new RedisStore(name, command, subscriber);
  try {
    await store.start();
  } catch (error) {
    await store.close();
    throw storeError(`connect (component ${name})`, error);
  }
  return store;
}
