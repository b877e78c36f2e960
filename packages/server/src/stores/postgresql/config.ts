import { readFileSync } from 'node:fs';
import { LeaseholdError } from '@leasehold/core';

/** Where and how one connection pool reaches Postgres. */
export interface PgTarget {
  /** A `postgres://` URL, or the parts of one. */
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** `host:port`, for error messages (never the password). */
  readonly place: string;
}

/** The validated configuration of a `lock.postgresql` component. */
export interface PgConfig {
  readonly target: PgTarget;
  /** The session-mode connection LISTEN uses when operations go through a transaction pooler. */
  readonly listenTarget: PgTarget;
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** The schema holding this store's tables, created at start when absent. */
  readonly schema: string;
  /** Upper bound of one operation's transaction, so a hung database fails instead of hanging. */
  readonly timeoutMs: number;
  /** Connections in the operations pool. */
  readonly poolSize: number;
  /**
   * Named prepared statements: one round trip per statement instead of two (the driver asks for
   * parameter types first otherwise). Off for a transaction pooler that cannot carry them.
   */
  readonly preparedStatements: boolean;
}

const DEFAULT_SCHEMA = 'leasehold';
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_POOL_SIZE = 10;
const KNOWN = new Set([
  'connectionstring',
  'listenconnectionstring',
  'host',
  'port',
  'user',
  'password',
  'database',
  'tlsca',
  'tlscert',
  'tlskey',
  'schema',
  'timeoutms',
  'poolsize',
  'preparedstatements',
  'keyprefix',
]);
const PARTS = ['host', 'port', 'user', 'password', 'database'];

type Fail = (field: string, problem: string) => LeaseholdError;

/**
 * Reads component metadata (names already lower-cased): `connectionString` or `host` (+ `port`,
 * `user`, `password`, `database`), `listenConnectionString`, `tlsCA` / `tlsCert` / `tlsKey` (PEM
 * files), `schema` (default `leasehold`), `timeoutMs` (default 5000), `poolSize` (default 10),
 * `preparedStatements` (default true).
 * `keyPrefix` is the service's, not ours, and is ignored. Nothing here touches the network.
 */
export function parsePgMetadata(name: string, metadata: ReadonlyMap<string, string>): PgConfig {
  const fail: Fail = (field, problem) =>
    new LeaseholdError('INVALID_ARGUMENT', `component ${name}: metadata ${field}: ${problem}`, { field });
  for (const field of metadata.keys()) {
    if (!KNOWN.has(field)) throw fail(field, 'unknown field for lock.postgresql');
  }
  const target = readTarget(metadata, fail);
  const listenUrl = metadata.get('listenconnectionstring');
  const listenTarget =
    listenUrl === undefined ? target : urlTarget(listenUrl, 'listenConnectionString', fail);
  const schema = metadata.get('schema') ?? DEFAULT_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(schema)) {
    throw fail('schema', 'lower-case letters, digits and _, starting with a letter or _, at most 41');
  }
  const timeoutMs = integer(metadata, 'timeoutms', 'timeoutMs', [100, 600_000], DEFAULT_TIMEOUT_MS, fail);
  const poolSize = integer(metadata, 'poolsize', 'poolSize', [1, 100], DEFAULT_POOL_SIZE, fail);
  const prepared = metadata.get('preparedstatements') ?? 'true';
  if (prepared !== 'true' && prepared !== 'false') throw fail('preparedStatements', 'true or false');
  const tls = readTls(metadata, fail);
  const preparedStatements = prepared === 'true';
  return { target, listenTarget, schema, timeoutMs, poolSize, preparedStatements, ...(tls ? { tls } : {}) };
}

function readTarget(metadata: ReadonlyMap<string, string>, fail: Fail): PgTarget {
  const url = metadata.get('connectionstring');
  const parts = PARTS.filter((part) => metadata.has(part));
  if (url !== undefined) {
    const [mixed] = parts;
    if (mixed !== undefined) throw fail(mixed, 'give connectionString or host/port/…, not both');
    return urlTarget(url, 'connectionString', fail);
  }
  const host = metadata.get('host');
  if (host === undefined || host.trim() === '') {
    throw fail('connectionString', 'required (or host, with port, user, password, database)');
  }
  const port = integer(metadata, 'port', 'port', [1, 65_535], 5432, fail);
  const user = metadata.get('user');
  if (user === '') throw fail('user', 'must not be empty');
  const password = metadata.get('password');
  const database = metadata.get('database');
  if (database === '') throw fail('database', 'must not be empty');
  return {
    host: host.trim(),
    port,
    place: `${host.trim()}:${port}`,
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(database === undefined ? {} : { database }),
  };
}

function urlTarget(text: string, field: string, fail: Fail): PgTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail(field, 'not a URL (postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw fail(field, `scheme ${url.protocol} is not postgres: or postgresql:`);
  }
  if (url.hostname === '') throw fail(field, 'names no host');
  return { url: text, place: `${url.hostname}:${url.port === '' ? '5432' : url.port}` };
}

function integer(
  metadata: ReadonlyMap<string, string>,
  key: string,
  field: string,
  [min, max]: [number, number],
  fallback: number,
  fail: Fail,
): number {
  const text = metadata.get(key);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw fail(field, `an integer from ${min} to ${max}`);
  }
  return value;
}

function readTls(metadata: ReadonlyMap<string, string>, fail: Fail): PgConfig['tls'] {
  const read = (key: string, field: string): Buffer | undefined => {
    const path = metadata.get(key);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw fail(field, `cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const ca = read('tlsca', 'tlsCA');
  const cert = read('tlscert', 'tlsCert');
  const key = read('tlskey', 'tlsKey');
  if ((cert === undefined) !== (key === undefined)) {
    throw fail(cert === undefined ? 'tlsCert' : 'tlsKey', 'tlsCert and tlsKey go together');
  }
  if (ca === undefined && cert === undefined) return undefined;
  return { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
}
