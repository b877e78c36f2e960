import type { IncomingHttpHeaders } from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Caller } from '@leasehold/core';
import { parse } from 'yaml';
import { ComponentError } from './components.js';

/** The settings auth reads; `ServerSettings` satisfies it. */
export interface AuthSettings {
  /** The app id of a caller with the single env/flag token, or of everyone when auth is off. */
  readonly appId: string;
  /** One token for the server's own app id; config fills it with `tokenFromEnv`. */
  readonly apiToken?: string | undefined;
  /** A YAML list of `{token, appId, role}`. */
  readonly apiTokenFile?: string | undefined;
}

/** Decides who a request's `dapr-api-token` belongs to. */
export interface Authenticator {
  /** False when no token is configured: every request is then the default caller. */
  readonly enabled: boolean;
  /** The caller owning `token`, or undefined when auth is on and the token is missing or wrong. */
  authenticate(token: string | undefined): Caller | undefined;
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
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ComponentError(
      `api token file ${path}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return parseTokenList(document, path);
}

/** Validates a parsed token list: `[{token, appId, role?}]`, role `app` (default) or `admin`. */
export function parseTokenList(document: unknown, source: string): TokenEntry[] {
  if (!Array.isArray(document)) throw new ComponentError(`api token file ${source}: must be a YAML list`);
  return document.map((item: unknown, index) => {
    const where = `api token file ${source}: entry ${index}`;
    if (typeof item !== 'object' || item === null) throw new ComponentError(`${where}: must be a mapping`);
    const { token, appId, role = 'app' } = item as Record<string, unknown>;
    if (typeof token !== 'string' || token === '')
      throw new ComponentError(`${where}: token must be a non-empty string`);
    if (typeof appId !== 'string' || appId === '' || appId.includes('||')) {
      throw new ComponentError(`${where}: appId must be a non-empty string without "||"`);
    }
    if (role !== 'app' && role !== 'admin')
      throw new ComponentError(`${where}: role must be "app" or "admin"`);
    return { token, caller: { appId, role } };
  });
}

/** Builds the authenticator from the settings and the token file; config reads the env. */
export function createAuthenticator(settings: AuthSettings): Authenticator {
  const entries: TokenEntry[] = [];
  const single = settings.apiToken || undefined;
  if (single !== undefined) entries.push({ token: single, caller: { appId: settings.appId, role: 'app' } });
  if (settings.apiTokenFile !== undefined) entries.push(...readTokenFile(settings.apiTokenFile));
  return entries.length === 0 ? openAuthenticator(settings.appId) : tokenAuthenticator(entries);
}

/** No tokens: everyone is the server's app, with every right (the server stays on loopback). */
function openAuthenticator(appId: string): Authenticator {
  const caller: Caller = { appId, role: 'admin' };
  return { enabled: false, authenticate: () => caller, track: permanentSession };
}

/**
 * Compares HMAC digests under a per-process key, so every comparison is over 32 bytes whatever
 * the token's length, and visits every entry so the time does not say which one matched.
 */
function tokenAuthenticator(entries: readonly TokenEntry[]): Authenticator {
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

/** The API token a request carries: Dapr's `dapr-api-token` header, else `Authorization: Bearer`. */
export function tokenFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers['dapr-api-token'];
  if (typeof direct === 'string' && direct !== '') return direct;
  const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  return match?.[1];
}
