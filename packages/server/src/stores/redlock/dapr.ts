import type { AcquireResult, DaprLockStore, LeaseApp, UnlockStatus } from '@leasehold/core';
import { daprTryLockScript, daprUnlockScript } from '../redis/dapr-scripts.js';
import { callerArg } from '../redis/lua-script.js';
import type { RedlockContext } from './redlock-context.js';
import { grantOnMajority } from './redlock-grant.js';
import { pickStatus } from './redlock-merge.js';

/**
 * Dapr's lock API on Redlock, overriding core's mapping as `lock.redis` does: each master holds
 * Dapr's own key and value (the owner string, the TTL on the key), granted in two phases on a
 * majority like any lock. Core's mapping would not fit: the masters' leases do not record that
 * they are implicit, so its Unlock would leave the lease (and its quota count) until the TTL.
 */
export class RedlockDapr implements DaprLockStore {
  constructor(private readonly redlock: RedlockContext) {}

  async tryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult> {
    this.redlock.open();
    const { masters, driftFactor } = this.redlock;
    const result = await grantOnMajority(masters, {
      op: 'daprTryLock',
      key,
      script: daprTryLockScript,
      args: [key, owner, ttlMs, app],
      undo: (only) => masters.run(daprUnlockScript, [key, owner], { only }),
      ttlMs,
      driftFactor,
    });
    if (result.acquired) this.redlock.acquired(key, `dapr:${result.fencingToken}`, result.fencingToken, app);
    return result;
  }

  async unlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus> {
    this.redlock.open();
    const { masters } = this.redlock;
    const answers = await masters.run(daprUnlockScript, [key, owner, callerArg(app)], {
      decide: masters.any((a) => a === 0),
    });
    masters.requireQuorum('daprUnlock', answers);
    const status = pickStatus<number>(answers, 0, [2, 1]) as UnlockStatus;
    if (status === 0) this.redlock.released(key);
    return status;
  }
}
