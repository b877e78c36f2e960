import type { LeaseStore } from '../leases/lease-store.js';
import type { HoldingLease, LockPeek, LockStore } from '../locks/lock-store.js';
import type { Store } from '../store.js';
import type { AcquireResult, LeaseApp } from '../types.js';
import { UnlockStatus } from '../types.js';
import type { DaprLockStore } from './dapr-store.js';

/**
 * Dapr's lock API over a store's leases and locks (DESIGN §1: a Dapr lock is a lease too). Every
 * step names the lease it means, so a lock that changes hands between two steps is never touched:
 * a stale revoke or release finds nothing and answers as a lock that is gone.
 */
export function daprLocksOver(leases: LeaseStore, locks: LockStore): DaprLockStore {
  return {
    /** A read first, so a lock found held (or queued for) costs no write; then grant and take. */
    async tryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult> {
      const seen = await peek(locks, key);
      if (seen.held || seen.waiters > 0) return { acquired: false };
      const grant = { ttlMs, owner, app, implicit: true };
      if (locks.tryAcquireWithNewLease) return locks.tryAcquireWithNewLease(grant, key);
      const lease = await leases.grant(grant);
      let result: AcquireResult;
      try {
        result = await locks.acquire({ key, leaseId: lease.id, app });
      } catch (error) {
        await leases.revoke(lease.id, app).catch(() => undefined);
        throw error;
      }
      if (!result.acquired) await leases.revoke(lease.id, app);
      return result.acquired ? result : { acquired: false };
    },

    /**
     * The store's one step where it knows the grant; else the holder's lease must name `owner`, and an
     * implicit lease ends whole, any other lets this lock go.
     */
    async unlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus> {
      const settled = await locks.unlockKnownGrant?.(key, owner, app);
      if (settled !== undefined) return settled;
      const seen = await peek(locks, key);
      if (!seen.held || seen.leaseId === undefined) return UnlockStatus.LOCK_DOES_NOT_EXIST;
      // A lock of another app is someone else's, whatever its owner string says.
      if (app !== undefined && seen.app !== undefined && seen.app !== app) {
        return UnlockStatus.LOCK_BELONGS_TO_OTHERS;
      }
      const lease = await holdingLease(leases, seen, seen.leaseId, app);
      if (!lease) return UnlockStatus.LOCK_DOES_NOT_EXIST;
      if (lease.owner !== owner) return UnlockStatus.LOCK_BELONGS_TO_OTHERS;
      const done = lease.implicit
        ? await endImplicit(leases, locks, key, lease.id, app)
        : (await locks.release(key, lease.id, app)) === 'released';
      return done ? UnlockStatus.SUCCESS : UnlockStatus.LOCK_DOES_NOT_EXIST;
    },
  };
}

/** Ends an implicit lease and so its lock: in one step where the store has one, else a revoke. */
function endImplicit(
  leases: LeaseStore,
  locks: LockStore,
  key: string,
  leaseId: string,
  app: LeaseApp,
): Promise<boolean> {
  return locks.releaseAndRevoke ? locks.releaseAndRevoke(key, leaseId, app) : leases.revoke(leaseId, app);
}

/** The store's cheap peek where it has one, else its full description. */
function peek(locks: LockStore, key: string): Promise<LockPeek> {
  return locks.peek ? locks.peek(key) : locks.describe(key);
}

/**
 * The lease holding the lock: from the peek when the store told it (the lock key was there, so its
 * lease lived at that read), else read; undefined when `app` may not use it or it is gone.
 */
async function holdingLease(
  leases: LeaseStore,
  seen: LockPeek,
  leaseId: string,
  app: LeaseApp,
): Promise<HoldingLease | undefined> {
  const known = seen.lease;
  if (known?.id === leaseId && known.app !== undefined && (app === undefined || known.app === app)) {
    return known;
  }
  return leases.get(leaseId, app);
}

const mapped = new WeakMap<Store, DaprLockStore>();

/** The store's own Dapr API where it has one, else core's mapping over its leases and locks. */
export function daprOf(store: Store): DaprLockStore {
  if (store.dapr) return store.dapr;
  let dapr = mapped.get(store);
  if (!dapr) {
    dapr = daprLocksOver(store.leases, store.locks);
    mapped.set(store, dapr);
  }
  return dapr;
}
