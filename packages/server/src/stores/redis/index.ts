import type { Redis } from 'ioredis';
import type { Store } from '@leasehold/core';
import { parseRedisConfig } from './config.js';
import type { RedisStoreConfig } from './config.js';
import { openClient } from './connect.js';
import type { RedisTarget } from './connect.js';
import { persistenceWarning } from './persistence.js';
import { RedisStore } from './redis-store.js';
import { openRedlockStore } from '../redlock/index.js';
import { defineStoreType } from '../store-type.js';
import type { StoreContext } from '../store-type.js';

export type { RedisStoreConfig } from './config.js';
export { parseRedisConfig } from './config.js';

/**
 * `lock.redis`: one Redis or a Sentinel-managed master (this folder), or Redlock when `redisHosts` is
 * set (`../redlock/`). Metadata is Dapr's, read by `parseRedisConfig`.
 */
export const redisStoreType = defineStoreType({
  type: 'lock.redis',
  parse: ({ name, metadata }) => parseRedisConfig(name, metadata),
  open: openStore,
});

/** Opens a `lock.redis` store from its component metadata (names lower-cased); fails loudly on bad metadata. */
export async function createRedisStore(name: string, metadata: ReadonlyMap<string, string>): Promise<Store> {
  return openStore(name, parseRedisConfig(name, metadata));
}

function openStore(name: string, config: RedisStoreConfig, context?: StoreContext): Promise<Store> {
  return config.mode === 'redlock' ? openRedlockStore(name, config) : openRedisStore(name, config, context);
}

async function openRedisStore(
  name: string,
  config: Exclude<RedisStoreConfig, { mode: 'redlock' }>,
  context?: StoreContext,
): Promise<Store> {
  const target: RedisTarget =
    config.mode === 'node'
      ? { endpoint: config.endpoint }
      : { sentinels: config.sentinels, masterName: config.masterName };
  // A Redis that is down at start does not stop the server: the store starts not ready and its
  // clients keep reconnecting (ADR 0009). The waiter channel is subscribed once the subscriber is up.
  const open = (): Promise<Redis> => openClient(config, target);
  const [command, subscriber, reader] = await Promise.all([open(), open(), open()]);
  // The event reader blocks for less than the command timeout, which applies to it as to any command.
  const blockMs = Math.max(1, Math.floor(config.commandTimeoutMs / 2));
  const store = new RedisStore(name, command, subscriber, reader, blockMs);
  const warn = context?.warn;
  // Data in another layout stops the start when Redis is up now; else every op refuses it later.
  if (command.status === 'ready') {
    const refusal = await store.checkLayout();
    if (refusal) {
      await store.close();
      throw refusal;
    }
  } else {
    command.once('ready', () => {
      store.checkLayout().then(
        (refusal) => refusal && warn?.(refusal.message),
        () => undefined, // Redis went away again: its ops fail on their own until it is back.
      );
    });
  }
  // Said once, when the command client first reaches Redis (now, or once Redis is up).
  if (warn) {
    const check = async (): Promise<void> => {
      const text = await persistenceWarning(name, command);
      if (text) warn(text);
    };
    if (command.status === 'ready') await check();
    else command.once('ready', () => void check());
  }
  const subscribe = (): Promise<void> =>
    store.start().catch(() => {
      if (subscriber.status !== 'end') subscriber.once('ready', () => void subscribe());
    });
  if (subscriber.status === 'ready') await subscribe();
  else subscriber.once('ready', () => void subscribe());
  return store;
}
