import type { IncomingHttpHeaders } from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Caller, Quotas } from '@leasehold/core';
import { DEFAULT_QUOTAS, LeaseholdError, actingAs, parseQuotas } from '@leasehold/core';
import { parse, YAMLError } from 'yaml';
import { ComponentError } from './components.js';
import { describeYamlError } from './yaml-error.js';

/** The settings auth reads; `ServerSettings` satisfies it. */
export interface AuthSettings {
  /** The app id of a caller with the single env/flag token, or of everyone when auth is off. */
  readonly appId: string;
  /** One token for the server's own app id; config fills it with `tokenFromEnv`. */
  readonly apiToken?: string | undefined;
  /** A YAML list of `{token, appId, role, quotas?}`. */
  readonly apiTokenFile?: string | undefined;
  /** Server-wide quota defaults; a token file entry's `quotas` override them for its app. */
  readonly quotas?: Partial<Quotas> | undefined;
}

/** Decides who a request's `dapr-api-token` belongs to. */
export interface Authenticator {
  /** False when no token is configured: every request is then the default caller. */
  readonly enabled: boolean;
  /** The caller owning `token`, or undefined when auth is on and the token is missing or wrong. */
  authenticate(token: string | undefined): Caller | undefined;
  /** The quotas of an app: its token entry's, over the server-wide defaults. */
  quotasOf(appId: string): Quotas;
  /** The app ids the tokens name, for per-app metrics. */
  readonly appIds: readonly string[];
  /**
   * Follows a long-lived connection (client stream, watch) opened as `caller` with `token`:
   * its `revoked` signal aborts when a token reload no longer maps the token to that caller.
   */
  track(token: string | undefined, caller: Caller): AuthSession;
}

/** A long-lived connection's hold on its token; `end()` when the connection closes. */
export interface AuthSession {
  /** Aborts when the token is removed or now stands for another caller. */
  readonly revoked: AbortSignal;
  end(): void;
}

/** A session that is never revoked: what a fixed set of tokens hands out. */
export function permanentSession(): AuthSession {
  return { revoked: new AbortController().signal, end: () => undefined };
}

/** A configured token and who it stands for. */
export interface TokenEntry {
  readonly token: string;
  readonly caller: Caller;
  readonly quotas?: Partial<Quotas>;
}

/**
 * The single token from the environment: `LEASEHOLD_API_TOKEN`, else Dapr's own
 * `DAPR_API_TOKEN`, so a sidecar's deployment secret protects Leasehold the same way.
 */
export function tokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.LEASEHOLD_API_TOKEN || env.DAPR_API_TOKEN;
  return token === undefined || token === '' ? undefined : token;
}

/** Reads and validates a token file; throws a ComponentError naming the file and the entry at fault. */
export function readTokenFile(path: string): TokenEntry[] {
  let document: unknown;
  let source = '';
  try {
    source = readFileSync(path, 'utf8');
    document = parse(source);
  } catch (error) {
    const reason =
      error instanceof YAMLError
        ? `: not valid YAML: ${describeYamlError(path, source, error)}`
        : ` ${path}: ${error instanceof Error ? error.message : String(error)}`;
    throw new ComponentError(`api token file${reason}`, { cause: error });
  }
  return parseTokenList(document, path);
}

/** Validates a parsed token list: `[{token, appId, role?}]`, role `app` (default) or `admin`. */
export function parseTokenList(document: unknown, source: string): TokenEntry[] {
  if (!Array.isArray(document)) throw new ComponentError(`api token file ${source}: must be a YAML list`);
  return document.map((item: unknown, index) => {
    const where = `api token file ${source}: entry ${index}`;
    if (typeof item !== 'object' || item === null) throw new ComponentError(`${where}: must be a mapping`);
    const { token, appId, role = 'app', quotas } = item as Record<string, unknown>;
    if (typeof token !== 'string' || token === '')
      throw new ComponentError(`${where}: token must be a non-empty string`);
    if (typeof appId !== 'string' || appId === '' || appId.includes('||')) {
      throw new ComponentError(`${where}: appId must be a non-empty string without "||"`);
    }
    if (role !== 'app' && role !== 'admin')
      throw new ComponentError(`${where}: role must be "app" or "admin"`);
    return {
      token,
      caller: { appId, role },
      ...(quotas === undefined ? {} : { quotas: entryQuotas(quotas, where) }),
    };
  });
}

/** Builds the authenticator from the settings and the token file; config reads the env. */
export function createAuthenticator(settings: AuthSettings): Authenticator {
  const entries: TokenEntry[] = [];
  const single = settings.apiToken || undefined;
  if (single !== undefined) entries.push({ token: single, caller: { appId: settings.appId, role: 'app' } });
  if (settings.apiTokenFile !== undefined) entries.push(...readTokenFile(settings.apiTokenFile));
  const quotasOf = quotaResolver(entries, settings.quotas ?? {});
  const appIds = [...new Set([settings.appId, ...entries.map((e) => e.caller.appId)])];
  const auth = entries.length === 0 ? openAuthenticator(settings.appId) : tokenAuthenticator(entries);
  return { ...auth, quotasOf, appIds };
}

/** The quotas of each app: its entries' quotas (merged in file order) over the defaults. */
function quotaResolver(entries: readonly TokenEntry[], defaults: Partial<Quotas>): (appId: string) => Quotas {
  const base: Quotas = { ...DEFAULT_QUOTAS, ...defaults };
  const byApp = new Map<string, Quotas>();
  for (const entry of entries) {
    if (!entry.quotas) continue;
    byApp.set(entry.caller.appId, { ...(byApp.get(entry.caller.appId) ?? base), ...entry.quotas });
  }
  return (appId) => byApp.get(appId) ?? base;
}

/** A token entry's `quotas`, or a ComponentError naming the entry. */
function entryQuotas(value: unknown, where: string): Partial<Quotas> {
  try {
    return parseQuotas(value, 'quotas');
  } catch (error) {
    throw new ComponentError(`${where}: ${error instanceof LeaseholdError ? error.message : String(error)}`);
  }
}

type BareAuthenticator = Pick<Authenticator, 'enabled' | 'authenticate' | 'track'>;

/** No tokens: everyone is the server's app, with every right (the server stays on loopback). */
function openAuthenticator(appId: string): BareAuthenticator {
  const caller: Caller = { appId, role: 'admin' };
  return { enabled: false, authenticate: () => caller, track: permanentSession };
}

/**
 * Compares HMAC digests under a per-process key, so every comparison is over 32 bytes whatever
 * the token's length, and visits every entry so the time does not say which one matched.
 */
function tokenAuthenticator(entries: readonly TokenEntry[]): BareAuthenticator {
  const key = randomBytes(32);
  const digest = (token: string) => createHmac('sha256', key).update(token, 'utf8').digest();
  const known = entries.map((entry) => ({ digest: digest(entry.token), caller: entry.caller }));
  for (const [i, a] of known.entries()) {
    const clash = known.slice(i + 1).find((b) => a.digest.equals(b.digest));
    if (clash && (clash.caller.appId !== a.caller.appId || clash.caller.role !== a.caller.role)) {
      throw new ComponentError(
        `api token configured twice with different app ids or roles (${a.caller.appId}, ${clash.caller.appId})`,
      );
    }
  }
  return {
    enabled: true,
    authenticate(token) {
      if (token === undefined || token === '') return undefined;
      const presented = digest(token);
      let found: Caller | undefined;
      for (const entry of known) {
        if (timingSafeEqual(presented, entry.digest) && found === undefined) found = entry.caller;
      }
      return found;
    },
    track: permanentSession,
  };
}

/** The app an admin acts as (`leasehold-app` header or gRPC metadata), if any. */
export const ACT_AS_HEADER = 'leasehold-app';

/**
 * The caller of a request's headers: its token's, acting as the `leasehold-app` it names (admins
 * only: an app naming another app is FORBIDDEN). Undefined when the token is missing or wrong.
 */
export function callerFromHeaders(auth: Authenticator, headers: IncomingHttpHeaders): Caller | undefined {
  const caller = auth.authenticate(tokenFromHeaders(headers));
  const app = headers[ACT_AS_HEADER];
  return caller && actingAs(caller, typeof app === 'string' ? app : undefined);
}

/** The API token a request carries: Dapr's `dapr-api-token` header, else `Authorization: Bearer`. */
export function tokenFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers['dapr-api-token'];
  if (typeof direct === 'string' && direct !== '') return direct;
  const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  return match?.[1];
}
