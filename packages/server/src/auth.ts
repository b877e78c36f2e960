import type { Caller } from '@leasehold/core';
import type { ServerSettings } from './config.js';

/** Maps an API token to its caller; undefined means refused. */
export interface Authenticator {
  /** True when tokens are configured and required. */
  readonly enabled: boolean;
  authenticate(token: string | undefined): Caller | undefined;
}

/** Placeholder until token files land: no tokens means every caller is the default app. */
export function createAuthenticator(
  settings: Pick<ServerSettings, 'appId' | 'apiToken' | 'apiTokenFile'>,
): Authenticator {
  const caller: Caller = { appId: settings.appId, role: 'app' };
  const token = settings.apiToken;
  if (token === undefined) return { enabled: false, authenticate: () => caller };
  return { enabled: true, authenticate: (given) => (given === token ? caller : undefined) };
}
