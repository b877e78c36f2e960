import type {
  AcquireOptions,
  AcquireResult,
  LeaseApp,
  LockInfo,
  LockStore,
  ReleaseStatus,
} from '@leasehold/core';
import {
  acquireScript,
  checkFenceScript,
  describeLockScript,
  forceReleaseScript,
  listLocksScript,
  releaseScript,
} from '../redis/lock-scripts.js';
import { callerArg } from '../redis/lua-script.js';
import type { Reply } from '../redis/replies.js';
import { text } from '../redis/replies.js';
import type { RedlockContext } from './redlock-context.js';
import { grantOnMajority } from './redlock-grant.js';
import { lockAnswers, lockHolder, mergeLock, mergeLocks, pickStatus } from './redlock-merge.js';

/**
 * The locks of a Redlock store: granted in two phases on a majority so fencing tokens rise (see
 * grantOnMajority), released on every master that answers. Waiting is FIFO within this server
 * and retried, not handed off across servers (see RedlockWaiters).
 */
export class RedlockLocks implements LockStore {
  constructor(private readonly redlock: RedlockContext) {}

  async acquire(options: AcquireOptions): Promise<AcquireResult> {
    const { key, leaseId, maxHoldMs, signal, app } = options;
    const { waiters } = this.redlock;
    const waitMs = signal?.aborted ? 0 : Math.max(0, options.waitMs ?? 0);
    const attempt = () => this.tryAcquire(key, leaseId, maxHoldMs ?? 0, app);
    // FIFO within this server: a newcomer never overtakes a waiter queued here.
    if (waitMs > 0 && waiters.count(key) > 0) return waiters.wait(key, leaseId, waitMs, signal, attempt);
    const first = await attempt();
    if (first.acquired || waitMs === 0) return first;
    return waiters.wait(key, leaseId, waitMs, signal, attempt);
  }

  async release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus> {
    this.redlock.open();
    const { masters } = this.redlock;
    const args = [key, leaseId, callerArg(app)];
    const released = (a: unknown) => Array.isArray(a) && a[0] === 'released';
    const answers = (await masters.run(releaseScript, args, { decide: masters.any(released) })) as (
      Reply | undefined
    )[];
    masters.requireQuorum('release', answers);
    const statuses = answers.map((a) => a?.[0]);
    const status = pickStatus<ReleaseStatus>(statuses, 'released', ['held_by_other', 'not_held']);
    if (status === 'released')
      this.redlock.released(key, leaseId, text(answers.find((a) => a?.[0] === 'released')?.[1]));
    return status;
  }

  async forceRelease(key: string): Promise<boolean> {
    this.redlock.open();
    const { masters } = this.redlock;
    const answers = await masters.run(forceReleaseScript, [key], { decide: masters.any((a) => a === 1) });
    masters.requireQuorum('forceRelease', answers);
    const released = masters.count(answers, (a) => a === 1) > 0;
    if (released) this.redlock.released(key);
    return released;
  }

  /** A lock a majority sees held by one holder; `waiters` counts this server's queue. */
  async describe(key: string): Promise<LockInfo> {
    this.redlock.open();
    const { masters, waiters } = this.redlock;
    const answers = await masters.run(describeLockScript, [key], { decide: masters.majority(lockHolder) });
    masters.requireQuorum('describeLock', answers);
    return mergeLock(key, lockAnswers(answers), masters.quorum, waiters.count(key));
  }

  async list(prefix: string, limit: number): Promise<LockInfo[]> {
    this.redlock.open();
    const { masters } = this.redlock;
    const answers = await masters.run(listLocksScript, [prefix, limit]);
    masters.requireQuorum('listLocks', answers);
    return mergeLocks(answers, masters.quorum, limit);
  }

  async check(key: string, token: number): Promise<boolean> {
    this.redlock.open();
    const { masters } = this.redlock;
    const answers = await masters.run(checkFenceScript, [key, token], {
      decide: masters.majority((a) => a === 1),
    });
    masters.requireQuorum('checkFence', answers);
    return masters.count(answers, (a) => a === 1) >= masters.quorum;
  }

  /** One grant on a majority, never waiting; a grant that cannot be confirmed is undone. */
  private async tryAcquire(
    key: string,
    leaseId: string,
    maxHoldMs: number,
    app: LeaseApp,
  ): Promise<AcquireResult> {
    this.redlock.open();
    const { masters, driftFactor } = this.redlock;
    const result = await grantOnMajority(masters, {
      op: 'acquire',
      key,
      leaseId,
      script: acquireScript,
      args: [key, leaseId, maxHoldMs, 0, '', '', callerArg(app)],
      undo: (only) => masters.run(releaseScript, [key, leaseId, callerArg(undefined)], { only }),
      ttlMs: 0,
      driftFactor,
    });
    if (result.acquired) this.redlock.acquired(key, leaseId, result.fencingToken, result.app);
    return result.acquired ? { acquired: true, fencingToken: result.fencingToken } : result;
  }
}
