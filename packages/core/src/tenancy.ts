import { LeaseholdError } from './errors.js';
import type { LeaseApp } from './store.js';
import type { LockHolder, LockInfo, WatchEvent } from './types.js';

/** Who is calling: the app id from its token (or the server's), and its role. */
export interface Caller {
  readonly appId: string;
  readonly role: 'app' | 'admin';
  /** The admin's own app id while it acts as `appId`. */
  readonly actor?: string;
}

/** The lease scope of a caller: its own app, or any lease for an admin. */
export function leaseAppOf(caller: Caller): LeaseApp {
  return caller.role === 'admin' ? undefined : caller.appId;
}

/**
 * The caller an admin becomes to work in another app's key space (`leasehold-app` on every
 * transport). An admin keeps its role, so it may still use any lease; an app may name only itself.
 */
export function actingAs(caller: Caller, app: string | undefined): Caller {
  if (app === undefined || app === '' || app === caller.appId) return caller;
  if (caller.role !== 'admin') {
    throw new LeaseholdError('FORBIDDEN', `leasehold-app: acting as app ${app} needs an admin token`);
  }
  if (app.includes('||') || !app.isWellFormed()) {
    throw new LeaseholdError('INVALID_ARGUMENT', 'leasehold-app: must be an app id without "||"', {
      field: 'leasehold-app',
    });
  }
  return { appId: app, role: 'admin', actor: caller.actor ?? caller.appId };
}

/** True when the caller may see ids of a lease of `app` (an unknown app counts as another's). */
export function seesLeaseOf(caller: Caller, app: string | undefined): boolean {
  return caller.role === 'admin' || (app !== undefined && app === caller.appId);
}

/** A holder as a caller may see it: another app's shows its owner at most. */
export function visibleHolder(caller: Caller, holder: LockHolder): LockHolder | { owner?: string } {
  if (seesLeaseOf(caller, holder.app)) return holder;
  return holder.owner === undefined ? {} : { owner: holder.owner };
}

/** A lock as a caller may see it: another app's holding lease id and app are left out. */
export function visibleLock<T extends Pick<LockInfo, 'leaseId' | 'app'>>(caller: Caller, lock: T): T {
  if (lock.leaseId === undefined || seesLeaseOf(caller, lock.app)) return lock;
  const { leaseId: _leaseId, app: _app, ...rest } = lock;
  return rest as T;
}

/** An event as a watcher may see it; undefined when it must not see it at all. */
export function visibleEvent<T extends WatchEvent>(caller: Caller, event: T): T | undefined {
  if (event.leaseId === undefined || seesLeaseOf(caller, event.app)) return event;
  // Another app's lease ending says nothing about the caller's key space.
  if (event.type === 'lease.expired') return undefined;
  const { leaseId: _leaseId, app: _app, ...rest } = event;
  return rest as T;
}
