import type { Caller, Quotas } from '@leasehold/core';
import { createAuthenticator } from './auth.js';
import type { AuthSession, AuthSettings, Authenticator } from './auth.js';
import { ComponentError } from './components.js';

interface TrackedSession {
  readonly token: string | undefined;
  readonly caller: Caller;
  readonly controller: AbortController;
}

/** What a token reload did. */
export interface TokenReload {
  /** Long-lived connections closed because their token is gone or changed hands. */
  readonly revokedSessions: number;
}

/**
 * The server's authenticator, swappable as a whole: `reload()` builds a new one from the token
 * file and, only if that succeeds, replaces the old in one assignment, so a request sees either
 * the old set or the new one, never a mix. Connections whose token no longer stands for the same
 * caller are told through their session's `revoked` signal.
 */
export class ReloadableAuthenticator implements Authenticator {
  /** Fixed at start: a reload never turns authentication on or off. */
  readonly enabled: boolean;
  private current: Authenticator;
  private readonly sessions = new Set<TrackedSession>();

  /** Builds the first authenticator; throws a ComponentError on a bad token file. */
  constructor(private readonly settings: AuthSettings) {
    this.current = createAuthenticator(settings);
    this.enabled = this.current.enabled;
  }

  authenticate(token: string | undefined): Caller | undefined {
    return this.current.authenticate(token);
  }

  quotasOf(appId: string): Quotas {
    return this.current.quotasOf(appId);
  }

  get appIds(): readonly string[] {
    return this.current.appIds;
  }

  track(token: string | undefined, caller: Caller): AuthSession {
    const session: TrackedSession = { token, caller, controller: new AbortController() };
    if (this.enabled) this.sessions.add(session);
    return { revoked: session.controller.signal, end: () => this.sessions.delete(session) };
  }

  /**
   * Reads the token file again. A file that cannot be read or parsed, or that would turn
   * authentication off, throws a ComponentError and the old tokens stay in force.
   */
  reload(): TokenReload {
    const next = createAuthenticator(this.settings);
    if (next.enabled !== this.enabled) {
      throw new ComponentError(
        `api token file ${this.settings.apiTokenFile ?? '(none)'}: has no tokens; a reload cannot turn authentication off`,
      );
    }
    this.current = next;
    let revokedSessions = 0;
    for (const session of this.sessions) {
      const now = next.authenticate(session.token);
      // An admin acting as another app is tracked as itself.
      const owner = session.caller.actor ?? session.caller.appId;
      if (now?.appId === owner && now.role === session.caller.role) continue;
      this.sessions.delete(session);
      session.controller.abort(new ComponentError('api token revoked'));
      revokedSessions++;
    }
    return { revokedSessions };
  }
}
