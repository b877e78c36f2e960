import type { AcquireResult, DaprLockStore, LeaseApp, UnlockStatus } from '@leasehold/core';
import { daprTryLockScript, daprUnlockScript } from './dapr-scripts.js';
import { callerArg } from './lua-script.js';
import type { Reply } from './replies.js';
import { acquireResult } from './replies.js';
import type { ScriptRunner } from './script-runner.js';

/**
 * Dapr's lock API on `lock.redis`, overriding core's mapping: the lock is Dapr's own key and value
 * (`lock||<app>||<resource>` holding the owner, TTL on the key), so a Dapr sidecar sharing this
 * Redis and Leasehold exclude each other (DESIGN §3). Each call is one script; an expiry is announced by
 * the lease reaper.
 */
export class RedisDapr implements DaprLockStore {
  /** `reapWithin` arms the lease reaper at a granted lock's TTL, so its expiry is announced on time. */
  constructor(
    private readonly redis: ScriptRunner,
    private readonly reapWithin: (ttlMs: number) => void,
  ) {}

  async tryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult> {
    const reply = (await this.redis.script(
      'daprTryLock',
      daprTryLockScript,
      key,
      owner,
      ttlMs,
      app,
    )) as Reply;
    const result = acquireResult(reply);
    if (result.acquired) this.reapWithin(ttlMs);
    return result;
  }

  async unlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus> {
    const reply = await this.redis.script('daprUnlock', daprUnlockScript, key, owner, callerArg(app));
    return Number(reply) as UnlockStatus;
  }
}
