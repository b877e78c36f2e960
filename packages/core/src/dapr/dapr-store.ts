import type { AcquireResult, LeaseApp, UnlockStatus } from '../types.js';

/**
 * Dapr's lock API on a store. Core maps it onto leases and locks (daprLocksOver); a store
 * implements it only to keep a wire format of its own (lock.redis keeps Dapr's sidecar key).
 */
export interface DaprLockStore {
  /** Dapr TryLock: an implicit lease of `app`, `ttlMs` long, owned by `owner`, holding `key` if free. */
  tryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult>;
  /**
   * Dapr Unlock: ends the implicit lease holding `key` if `owner` owns it and the lease is of
   * `app` (a lock of another app is LOCK_BELONGS_TO_OTHERS whatever the owner string says).
   */
  unlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus>;
}
