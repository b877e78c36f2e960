import { ERROR_TABLE, LeaseholdError, isLeaseholdError } from '../errors.js';
import { WELL_FORMED } from '../limits.js';
import { checkStored } from '../service/quota-checks.js';
import type { ServiceContext } from '../service/service-context.js';
import type { StoreBinding } from '../store-binding.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf } from '../tenancy.js';
import type { AcquireResult, UnlockStatus } from '../types.js';
import { daprOf } from './dapr-mapping.js';
import type { DaprTryLockRequest, DaprUnlockRequest } from './dapr-request.js';

type DaprFailure = 'ERR_TRY_LOCK' | 'ERR_UNLOCK';

/**
 * The Dapr lock API over the stores: Dapr's checks in Dapr's order (first failure wins), with daprd's
 * codes and messages word for word, then our own limits answered as ERR_MALFORMED_REQUEST naming the
 * limit. Sources in dapr/dapr: the order is `pkg/api/universal/lock.go`, the messages
 * `pkg/messages/predefined.go`, the `||` refusal `pkg/components/lock/lock_config.go`.
 */
export class DaprService {
  constructor(private readonly context: ServiceContext) {}

  /** Dapr TryLock, with Dapr's checks in Dapr's order; any positive int32 of seconds, as daprd takes. */
  async tryLock(caller: Caller, storeName: string, request: DaprTryLockRequest): Promise<AcquireResult> {
    if (request.expiryInSeconds <= 0) {
      throw new LeaseholdError(
        'ERR_MALFORMED_REQUEST',
        `ExpiryInSeconds is not positive in lock store ${storeName}`,
      );
    }
    const binding = this.target(storeName, request.resourceId, request.lockOwner, 'ERR_TRY_LOCK');
    const key = this.context.scopeOf(caller, binding).lock(request.resourceId);
    // A quota refusal is 429, not a Dapr 500.
    const checked = checkStored(this.context, caller, binding, ['leases', 'locks']);
    if (checked) await checked;
    let result: AcquireResult;
    try {
      const ttlMs = request.expiryInSeconds * 1000;
      result = await daprOf(binding.store).tryLock(key, request.lockOwner, ttlMs, caller.appId);
    } catch (error) {
      throw daprFailure('ERR_TRY_LOCK', describe(error), error);
    }
    this.context.observer?.acquireDone(storeName, result.acquired ? 'granted' : 'refused', undefined);
    // Dapr's reply carries no holder; keep another app's lease id out of every path.
    return result.acquired ? result : { acquired: false };
  }

  /** Dapr Unlock, with Dapr's checks in Dapr's order. */
  async unlock(caller: Caller, storeName: string, request: DaprUnlockRequest): Promise<UnlockStatus> {
    const binding = this.target(storeName, request.resourceId, request.lockOwner, 'ERR_UNLOCK');
    const key = this.context.scopeOf(caller, binding).lock(request.resourceId);
    try {
      return await daprOf(binding.store).unlock(key, request.lockOwner, leaseAppOf(caller));
    } catch (error) {
      throw daprFailure('ERR_UNLOCK', describe(error), error);
    }
  }

  /** daprd's validation, with our own limits (which daprd does not have) after its field and store checks. */
  private target(
    storeName: string,
    resourceId: string,
    lockOwner: string,
    failure: DaprFailure,
  ): StoreBinding {
    if (this.context.bindings().length === 0) throw new LeaseholdError('ERR_LOCK_STORE_NOT_CONFIGURED');
    if (resourceId === '') {
      throw new LeaseholdError('ERR_MALFORMED_REQUEST', `ResourceId is empty in lock store ${storeName}`);
    }
    if (lockOwner === '') {
      throw new LeaseholdError('ERR_MALFORMED_REQUEST', `LockOwner is empty in lock store ${storeName}`);
    }
    const binding = this.context.find(storeName);
    if (!binding) throw new LeaseholdError('ERR_LOCK_STORE_NOT_FOUND', `lock store ${storeName} not found`);
    const { limits } = this.context;
    // Our limits before daprd's `||` refusal, which quotes the name: never a name past them.
    limit('resourceId', resourceId, limits.nameMaxBytes);
    limit('lockOwner', lockOwner, limits.ownerMaxBytes);
    if (resourceId.includes('||')) {
      throw daprFailure(failure, `input key/keyPrefix '${resourceId}' can't contain '||'`);
    }
    return binding;
  }
}

/** One of our limits, answered as Dapr answers a bad request. */
function limit(field: string, value: string, maxBytes: number): void {
  if (!value.isWellFormed()) throw new LeaseholdError('ERR_MALFORMED_REQUEST', `${field}: ${WELL_FORMED}`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) {
    throw new LeaseholdError(
      'ERR_MALFORMED_REQUEST',
      `${field}: must be at most ${maxBytes} bytes of UTF-8, got ${bytes}`,
    );
  }
}

/** daprd's ERR_TRY_LOCK / ERR_UNLOCK: its fixed words, then the reason. */
function daprFailure(code: DaprFailure, reason: string, cause?: unknown): LeaseholdError {
  const words = ERROR_TABLE[code].message;
  return new LeaseholdError(code, `${words}: ${reason}`, cause === undefined ? undefined : { cause });
}

function describe(error: unknown): string {
  if (isLeaseholdError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
