import { readFileSync } from 'node:fs';
import { LeaseholdError } from '@leasehold/core';

/** The validated configuration of a `lock.etcd` component. */
export interface EtcdConfig {
  /** Client endpoints as `host:port` (a scheme, if given, is dropped). */
  readonly hosts: readonly string[];
  readonly auth?: { readonly username: string; readonly password: string };
  readonly tls?: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** Prefix of every key this store writes. */
  readonly namespace: string;
  /** Upper bound of one etcd call, so an unreachable cluster fails instead of hanging. */
  readonly timeoutMs: number;
}

const DEFAULT_NAMESPACE = 'leasehold/';
const DEFAULT_TIMEOUT_MS = 5_000;
const KNOWN = new Set([
  'endpoints',
  'username',
  'password',
  'tlsca',
  'tlscert',
  'tlskey',
  'namespace',
  'timeoutms',
  'keyprefix',
]);

/**
 * Reads component metadata (names already lower-cased). Fields: `endpoints` (comma list, required),
 * `username` + `password`, `tlsCA` / `tlsCert` / `tlsKey` (PEM file paths), `namespace` (default
 * `leasehold/`), `timeoutMs` (default 5000). `keyPrefix` is the service's, not ours, and is ignored.
 */
export function parseEtcdMetadata(name: string, metadata: ReadonlyMap<string, string>): EtcdConfig {
  const fail = (field: string, problem: string): LeaseholdError =>
    new LeaseholdError('INVALID_ARGUMENT', `component ${name}: metadata ${field}: ${problem}`, { field });
  for (const field of metadata.keys()) {
    if (!KNOWN.has(field)) throw fail(field, 'unknown field for lock.etcd');
  }
  const hosts = parseEndpoints(metadata.get('endpoints'), (problem) => fail('endpoints', problem));
  const username = metadata.get('username');
  const password = metadata.get('password');
  if ((username === undefined) !== (password === undefined)) {
    throw fail(username === undefined ? 'username' : 'password', 'username and password go together');
  }
  if (username === '') throw fail('username', 'must not be empty');
  const tls = readTls(metadata, fail);
  const namespace = metadata.get('namespace') ?? DEFAULT_NAMESPACE;
  if (namespace.length > 256) throw fail('namespace', 'at most 256 characters');
  const timeoutText = metadata.get('timeoutms');
  const timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) {
    throw fail('timeoutMs', 'an integer from 100 to 600000');
  }
  return {
    hosts,
    namespace,
    timeoutMs,
    ...(username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
    ...(tls ? { tls } : {}),
  };
}

function parseEndpoints(value: string | undefined, fail: (problem: string) => LeaseholdError): string[] {
  if (value === undefined || value.trim() === '') throw fail('required (comma list of host:port)');
  return value.split(',').map((raw) => {
    const text = raw.trim();
    const bare = text.replace(/^(https?|grpcs?):\/\//, '').replace(/\/+$/, '');
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(bare);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) throw fail(`"${text}" is not host:port or a URL`);
    return bare;
  });
}

function readTls(
  metadata: ReadonlyMap<string, string>,
  fail: (field: string, problem: string) => LeaseholdError,
): EtcdConfig['tls'] {
  const read = (field: string, label: string): Buffer | undefined => {
    const path = metadata.get(field);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw fail(label, `cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const ca = read('tlsca', 'tlsCA');
  const cert = read('tlscert', 'tlsCert');
  const key = read('tlskey', 'tlsKey');
  if ((cert === undefined) !== (key === undefined)) {
    throw fail(cert === undefined ? 'tlsCert' : 'tlsKey', 'tlsCert and tlsKey go together');
  }
  if (ca === undefined) {
    if (cert !== undefined) throw fail('tlsCA', 'required with tlsCert/tlsKey');
    return undefined;
  }
  return { ca, ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
}
