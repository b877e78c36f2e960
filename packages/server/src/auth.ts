import type { Caller } from '@leasehold/core';
import type { ServerSettings } from './config.js';

/** Maps an API token to its caller; undefined means refused. */
export interface Authenticator {
  /** True when tokens are configured and required. */
  readonly enabled: boolean;
  authenticate(token: string | undefined): Caller | undefined;
}

/**
 * Placeholder until token files land. With no tokens (loopback only) every caller is the default
 * app with the admin role: there is nobody to tell apart.
 */
export function createAuthenticator(
  settings: Pick<ServerSettings, 'appId' | 'apiToken' | 'apiTokenFile'>,
): Authenticator {
  const token = settings.apiToken;
  if (token === undefined)
    return { enabled: false, authenticate: () => ({ appId: settings.appId, role: 'admin' }) };
  const caller: Caller = { appId: settings.appId, role: 'app' };
  return { enabled: true, authenticate: (given) => (given === token ? caller : undefined) };
}
