import type { DaprTryLockRequest, DaprUnlockRequest } from './dapr-request.js';
import { LeaseholdError, isLeaseholdError } from './errors.js';
import { KeyScope } from './key-scope.js';
import { WELL_FORMED } from './limits.js';
import type { Limits } from './limits.js';
import type { StoreBinding } from './lock-service.js';
import type { Caller } from './tenancy.js';
import { leaseAppOf } from './tenancy.js';
import type { AcquireResult, UnlockStatus } from './types.js';

/**
 * The Dapr lock API over the stores: Dapr's checks in Dapr's order (first failure wins), Dapr's
 * error codes, and our own limits answered as ERR_MALFORMED_REQUEST naming the limit.
 */
export class DaprLocks {
  constructor(
    private readonly stores: ReadonlyMap<string, StoreBinding>,
    private readonly limits: Limits,
    /** Refuses a lock that would take the app past its lease or lock quota (429, not a Dapr 500). */
    private readonly checkQuotas: (caller: Caller, binding: StoreBinding) => Promise<void> | undefined,
  ) {}

  /** Dapr TryLock, with Dapr's checks in Dapr's order. */
  async tryLock(caller: Caller, storeName: string, request: DaprTryLockRequest): Promise<AcquireResult> {
    if (request.expiryInSeconds <= 0) {
      throw new LeaseholdError(
        'ERR_MALFORMED_REQUEST',
        'expiryInSeconds: must be a positive number of seconds',
      );
    }
    const { binding, key } = this.target(storeName, request.resourceId, request.lockOwner, 'ERR_TRY_LOCK');
    if (request.expiryInSeconds > this.limits.expiryMaxSeconds) {
      throw new LeaseholdError(
        'ERR_MALFORMED_REQUEST',
        `expiryInSeconds: must be at most ${this.limits.expiryMaxSeconds}, got ${request.expiryInSeconds}`,
      );
    }
    const scoped = new KeyScope(binding.keyPrefix, caller.appId, binding.name).lock(key);
    const checked = this.checkQuotas(caller, binding);
    if (checked) await checked;
    try {
      const ttlMs = request.expiryInSeconds * 1000;
      const result = await binding.store.daprTryLock(scoped, request.lockOwner, ttlMs, caller.appId);
      // Dapr's reply carries no holder; keep another app's lease id out of every path.
      return result.acquired ? result : { acquired: false };
    } catch (error) {
      throw new LeaseholdError('ERR_TRY_LOCK', `failed to try acquiring lock: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  /** Dapr Unlock, with Dapr's checks in Dapr's order. */
  async unlock(caller: Caller, storeName: string, request: DaprUnlockRequest): Promise<UnlockStatus> {
    const { binding, key } = this.target(storeName, request.resourceId, request.lockOwner, 'ERR_UNLOCK');
    const scoped = new KeyScope(binding.keyPrefix, caller.appId, binding.name).lock(key);
    try {
      return await binding.store.daprUnlock(scoped, request.lockOwner, leaseAppOf(caller));
    } catch (error) {
      throw new LeaseholdError('ERR_UNLOCK', `failed to release lock: ${describe(error)}`, { cause: error });
    }
  }

  private target(
    storeName: string,
    resourceId: string,
    lockOwner: string,
    failure: 'ERR_TRY_LOCK' | 'ERR_UNLOCK',
  ) {
    if (this.stores.size === 0) throw new LeaseholdError('ERR_LOCK_STORE_NOT_CONFIGURED');
    if (resourceId === '') throw new LeaseholdError('ERR_MALFORMED_REQUEST', 'resourceId: must not be empty');
    if (lockOwner === '') throw new LeaseholdError('ERR_MALFORMED_REQUEST', 'lockOwner: must not be empty');
    this.limit('resourceId', resourceId, this.limits.nameMaxBytes);
    this.limit('lockOwner', lockOwner, this.limits.ownerMaxBytes);
    const binding = this.stores.get(storeName);
    if (!binding) throw new LeaseholdError('ERR_LOCK_STORE_NOT_FOUND', `lock store ${storeName} not found`);
    if (resourceId.includes('||')) {
      throw new LeaseholdError(failure, 'resourceId: must not contain "||"');
    }
    return { binding, key: resourceId };
  }

  private limit(field: string, value: string, maxBytes: number): void {
    if (!value.isWellFormed()) throw new LeaseholdError('ERR_MALFORMED_REQUEST', `${field}: ${WELL_FORMED}`);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > maxBytes) {
      throw new LeaseholdError(
        'ERR_MALFORMED_REQUEST',
        `${field}: must be at most ${maxBytes} bytes of UTF-8, got ${bytes}`,
      );
    }
  }
}

function describe(error: unknown): string {
  if (isLeaseholdError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
