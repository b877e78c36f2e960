import type { Logger } from 'pino';
import type { ReloadableAuthenticator } from './reloadable-authenticator.js';
import type { ServerTls } from './tls/server-tls.js';

/** What one file set did on reload: `none` when it is not configured. */
export type ReloadResult = 'reloaded' | 'kept' | 'none';

/** What `RunningServer.reload()` did. */
export interface ReloadReport {
  readonly tokens: ReloadResult;
  readonly tls: ReloadResult;
  /** Why each `kept` file set was not taken, one line each. */
  readonly errors: readonly string[];
}

/** What reload works on. */
export interface Reloadables {
  readonly auth: ReloadableAuthenticator;
  /** Set when the token file is configured (the env token cannot change). */
  readonly tokenFile: string | undefined;
  readonly tls: ServerTls | undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reloads the token file and the TLS files, each on its own: a broken file keeps the one in
 * force, and the log says why. Never throws.
 */
export function reloadFiles(target: Reloadables, logger: Logger): ReloadReport {
  const errors: string[] = [];
  let tokens: ReloadResult = 'none';
  if (target.tokenFile !== undefined) {
    try {
      const { revokedSessions } = target.auth.reload();
      tokens = 'reloaded';
      logger.info({ file: target.tokenFile, revokedSessions }, 'api tokens reloaded');
    } catch (error) {
      tokens = 'kept';
      errors.push(reasonOf(error));
      logger.error({ reason: reasonOf(error) }, 'api token file not reloaded: keeping the previous tokens');
    }
  }
  let tls: ReloadResult = 'none';
  if (target.tls !== undefined) {
    try {
      const { fingerprint256, changed } = target.tls.reload();
      tls = 'reloaded';
      logger.info({ fingerprint256, changed }, 'tls files reloaded: new connections get this certificate');
    } catch (error) {
      tls = 'kept';
      errors.push(reasonOf(error));
      logger.error({ reason: reasonOf(error) }, 'tls files not reloaded: keeping the previous certificate');
    }
  }
  return { tokens, tls, errors };
}
