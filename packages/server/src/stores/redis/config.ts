import { LeaseholdError } from '@leasehold/core';

/** One `host:port` endpoint. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Connection settings shared by every Redis client the store opens. */
export interface RedisConnectionConfig {
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
  /** dialTimeout: how long one connection attempt may take. */
  readonly connectTimeoutMs: number;
  /** max(readTimeout, writeTimeout): how long one command may take before it rejects. */
  readonly commandTimeoutMs: number;
}

/** A validated `lock.redis` component: one node, a Sentinel-managed master, or Redlock. */
export type RedisStoreConfig =
  | ({ readonly mode: 'node'; readonly endpoint: RedisEndpoint } & RedisConnectionConfig)
  | ({
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisEndpoint[];
      readonly masterName: string;
    } & RedisConnectionConfig)
  | ({
      readonly mode: 'redlock';
      readonly endpoints: readonly RedisEndpoint[];
      /** Clock drift allowance as a fraction of the TTL (Redlock's driftFactor). */
      readonly driftFactor: number;
    } & RedisConnectionConfig);

const DEFAULT_DIAL_MS = 5_000;
const DEFAULT_COMMAND_MS = 3_000;

/** Parses Dapr `lock.redis` metadata (names already lower-cased); throws INVALID_ARGUMENT naming the field. */
export function parseRedisConfig(name: string, metadata: ReadonlyMap<string, string>): RedisStoreConfig {
  const bad = (field: string, problem: string): LeaseholdError =>
    new LeaseholdError('INVALID_ARGUMENT', `component ${name}: metadata ${field}: ${problem}`, { field });
  const get = (field: string): string | undefined => {
    const value = metadata.get(field.toLowerCase())?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const redisType = (get('redisType') ?? 'node').toLowerCase();
  if (redisType === 'cluster') {
    // Dapr's lock.redis is a standalone lock: a cluster can lose a lock on fail-over, so it is refused.
    throw bad(
      'redisType',
      'cluster is not supported by lock.redis (use node, sentinel, or redisHosts for Redlock)',
    );
  }
  if (redisType !== 'node' && redisType !== 'sentinel')
    throw bad('redisType', `must be node or sentinel, got "${redisType}"`);
  const readMs = duration(get('readTimeout'), 'readTimeout', bad);
  const writeMs = duration(get('writeTimeout'), 'writeTimeout', bad);
  const connection: RedisConnectionConfig = {
    ...optional('username', get('redisUsername')),
    ...optional('password', get('redisPassword')),
    db: integer(get('redisDB') ?? '0', 'redisDB', 0, 15_999, bad),
    tls: boolean(get('enableTLS') ?? 'false', 'enableTLS', bad),
    connectTimeoutMs: duration(get('dialTimeout'), 'dialTimeout', bad) ?? DEFAULT_DIAL_MS,
    commandTimeoutMs: Math.max(readMs ?? 0, writeMs ?? 0) || DEFAULT_COMMAND_MS,
  };
  const hosts = get('redisHosts');
  if (hosts !== undefined) {
    if (redisType === 'sentinel')
      throw bad('redisHosts', 'Redlock cannot be combined with redisType sentinel');
    const endpoints = hosts.split(',').map((h) => endpoint(h.trim(), 'redisHosts', bad));
    if (endpoints.length < 3 || endpoints.length % 2 === 0)
      throw bad('redisHosts', `Redlock needs an odd number of at least 3 masters, got ${endpoints.length}`);
    const drift = Number(get('driftFactor') ?? '0.01');
    if (!Number.isFinite(drift) || drift < 0 || drift >= 0.5)
      throw bad('driftFactor', 'must be a number in [0, 0.5)');
    return { mode: 'redlock', endpoints, driftFactor: drift, ...connection };
  }
  const host = get('redisHost');
  if (host === undefined) throw bad('redisHost', 'is required');
  const failover = boolean(get('failover') ?? 'false', 'failover', bad);
  if (redisType === 'sentinel' || failover) {
    const masterName = get('sentinelMasterName');
    if (masterName === undefined) throw bad('sentinelMasterName', 'is required with redisType sentinel');
    const sentinels = host.split(',').map((h) => endpoint(h.trim(), 'redisHost', bad));
    return { mode: 'sentinel', sentinels, masterName, ...connection };
  }
  if (host.includes(',')) throw bad('redisHost', 'takes one host:port; use redisHosts for Redlock');
  return { mode: 'node', endpoint: endpoint(host, 'redisHost', bad), ...connection };
}

type Bad = (field: string, problem: string) => LeaseholdError;

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function endpoint(text: string, field: string, bad: Bad): RedisEndpoint {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || port < 1 || port > 65_535) throw bad(field, `"${text}" is not host:port`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function integer(text: string, field: string, min: number, max: number, bad: Bad): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw bad(field, `must be an integer in [${min}, ${max}]`);
  return value;
}

function boolean(text: string, field: string, bad: Bad): boolean {
  const lower = text.toLowerCase();
  if (['true', '1', 't', 'yes'].includes(lower)) return true;
  if (['false', '0', 'f', 'no'].includes(lower)) return false;
  throw bad(field, `must be true or false, got "${text}"`);
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go-style duration ("500ms", "5s", "1m"); a bare number is milliseconds. */
function duration(text: string | undefined, field: string, bad: Bad): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  const value = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1) : NaN;
  if (!match || !(value > 0)) throw bad(field, `"${text}" is not a positive duration such as 500ms or 5s`);
  return Math.round(value);
}
