import type { Logger } from 'pino';
import { ComponentError } from './components.js';
import { isLoopback } from './config.js';

/** What protects the server's listening address. */
export interface Exposure {
  readonly host: string;
  readonly insecure: boolean;
  /** API tokens are configured. */
  readonly tokens: boolean;
  /** HTTP and gRPC serve TLS. */
  readonly tls: boolean;
}

/**
 * Refuses a non-loopback bind that lacks TLS or tokens unless `--insecure` says it is meant,
 * and says at start what an insecure setup exposes (DESIGN §7).
 */
export function checkExposure(exposure: Exposure, logger: Logger): void {
  const { host, insecure, tokens, tls } = exposure;
  const local = isLoopback(host);
  if (!local && !insecure && (!tls || !tokens)) {
    const missing = [tls ? undefined : 'TLS', tokens ? undefined : 'API tokens'].filter(Boolean).join(' or ');
    const fixes = [
      tls ? undefined : 'set --tls-cert and --tls-key',
      tokens ? undefined : 'set LEASEHOLD_API_TOKEN or --api-token-file',
    ].filter(Boolean);
    throw new ComponentError(
      `--host: refusing to listen on ${host} without ${missing}; ${fixes.join(' and ')}, or pass --insecure`,
    );
  }
  if (!local && !tls) {
    logger.warn(
      { host },
      '--insecure: serving without TLS on a non-loopback address: API tokens and data cross the network in clear text',
    );
  }
  if (!tokens) {
    logger.warn(
      local
        ? 'no API token configured: serving without authentication (loopback only unless --insecure)'
        : 'no API token configured: anyone who can reach this address has every right',
    );
  }
}
