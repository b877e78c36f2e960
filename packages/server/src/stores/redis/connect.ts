import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { RedisConnectionConfig, RedisEndpoint } from './config.js';

/** Where one client connects: a node, or the master a set of Sentinels names. */
export type RedisTarget =
  | { readonly endpoint: RedisEndpoint }
  | { readonly sentinels: readonly RedisEndpoint[]; readonly masterName: string };

const MAX_RECONNECT_DELAY_MS = 500;

/** Where each client connects, and its last connection failure, for messages that name both. */
const places = new WeakMap<Redis, string>();
const problems = new WeakMap<Redis, string>();

/** `host:port`, or the Sentinel master's name and its Sentinels. */
export function describeTarget(target: RedisTarget): string {
  if ('endpoint' in target) return `${target.endpoint.host}:${target.endpoint.port}`;
  const sentinels = target.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
  return `master "${target.masterName}" via sentinels ${sentinels}`;
}

/**
 * Why `client` cannot run commands now, naming its host and the cause
 * (`cannot reach 127.0.0.1:6390: ECONNREFUSED`); undefined when it is ready.
 */
export function unreachable(client: Redis): string | undefined {
  if (client.status === 'ready') return undefined;
  const cause = problems.get(client) ?? (client.status === 'end' ? 'closed' : 'not connected yet');
  return `cannot reach ${places.get(client) ?? 'redis'}: ${cause}`;
}

/** A driver error's short cause: the system code (ECONNREFUSED) when there is one, else its message. */
function causeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.message : String(error);
}

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
    // The commands of one event-loop turn (a stream frame's scripts) leave in one write, not one each.
    enableAutoPipelining: true,
    lazyConnect: true,
    retryStrategy: (attempt: number) => Math.min(50 * attempt, MAX_RECONNECT_DELAY_MS),
  };
  const client = new Redis(options);
  places.set(client, describeTarget(target));
  // Failures surface on the commands that hit them; the event is kept only to say why, in readiness.
  client.on('error', (error: unknown) => problems.set(client, causeOf(error)));
  client.on('ready', () => problems.delete(client));
  return client;
}

/**
 * Creates one client and starts connecting. Resolves once it is ready or its first attempt failed:
 * a client that failed keeps reconnecting with backoff (ADR 0009), and `unreachable` says why.
 */
export async function openClient(config: RedisConnectionConfig, target: RedisTarget): Promise<Redis> {
  const client = createClient(config, target);
  // The rejection is only "Connection is closed"; the error event before it has the cause.
  await client.connect().catch((error: unknown) => {
    if (!problems.has(client)) problems.set(client, causeOf(error));
  });
  return client;
}
