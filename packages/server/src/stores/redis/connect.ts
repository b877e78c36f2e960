import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { RedisConnectionConfig, RedisEndpoint } from './config.js';

/** Where one client connects: a node, or the master a set of Sentinels names. */
export type RedisTarget =
  | { readonly endpoint: RedisEndpoint }
  | { readonly sentinels: readonly RedisEndpoint[]; readonly masterName: string };

const MAX_RECONNECT_DELAY_MS = 500;

/**
 * Creates one client, not yet connected. Commands never queue while disconnected and are
 * never retried after a drop (a retried grant could apply twice): they reject at once or after
 * the command timeout, and the client keeps reconnecting in the background until closed.
 */
export function createClient(config: RedisConnectionConfig, target: RedisTarget): Redis {
  const options: RedisOptions = {
    ...('endpoint' in target
      ? { host: target.endpoint.host, port: target.endpoint.port }
      : { sentinels: target.sentinels.map((s) => ({ ...s })), name: target.masterName }),
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
    db: config.db,
    ...(config.tls ? { tls: {} } : {}),
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: (attempt: number) => Math.min(50 * attempt, MAX_RECONNECT_DELAY_MS),
  };
  const client = new Redis(options);
  // Failures surface on the commands that hit them; the event itself only feeds reconnects.
  client.on('error', () => undefined);
  return client;
}

/** Creates one client and waits until it is ready; a failed first connect closes it. */
export async function openClient(config: RedisConnectionConfig, target: RedisTarget): Promise<Redis> {
  const client = createClient(config, target);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}
