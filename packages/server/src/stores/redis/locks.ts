import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
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
  cancelWaitScript,
  checkFenceScript,
  describeLockScript,
  forceReleaseScript,
  handoffScript,
  listLocksScript,
  releaseScript,
  waiterStatusScript,
} from './lock-scripts.js';
import { callerArg } from './lua-script.js';
import { lockGrant, lockWaiterStatus, RedisWaiters } from './redis-waiters.js';
import type { Reply } from './replies.js';
import { acquireResult, leaseNotFound, list, lockInfo } from './replies.js';
import type { ScriptRunner } from './script-runner.js';

/**
 * The locks of a `lock.redis` store, one Lua script per operation. Queues live in Redis; the
 * acquires this server waits on are told of their grant on this server's own channel.
 */
export class RedisLocks implements LockStore {
  private readonly channel: string;
  private readonly waiters: RedisWaiters<AcquireResult>;

  constructor(
    private readonly redis: ScriptRunner,
    private readonly subscriber: Redis,
  ) {
    this.channel = `${redis.prefix}srv:${randomUUID()}`;
    this.waiters = new RedisWaiters<AcquireResult>({
      handoff: async (key) => Number(await redis.script('handoff', handoffScript, key)),
      cancel: async (id, [key = '']) => {
        await redis.script('acquire', cancelWaitScript, key, id);
        return { acquired: false };
      },
      status: async (id, [key = '']) =>
        lockWaiterStatus(Number(await redis.script('acquire', waiterStatusScript, key, id))),
      granted: lockGrant,
    });
    this.waiters.listen(subscriber, this.channel);
  }

  /** Subscribes this server's waiter channel; call once before use. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** Fails this server's waiters and takes them out of Redis, so no grant goes to a server that has gone. */
  async close(): Promise<void> {
    // Run directly: the runner already refuses ops, and these are the store's last words.
    const { command, prefix } = this.redis;
    await this.waiters.close((id, [key = '']) => cancelWaitScript.run(command, prefix, [key, id]));
  }

  async acquire(options: AcquireOptions): Promise<AcquireResult> {
    const waitMs = options.signal?.aborted ? 0 : Math.max(0, options.waitMs ?? 0);
    const waiterId = waitMs > 0 ? randomUUID() : '';
    const pending = waitMs > 0 ? this.waiters.register(waiterId, [options.key]) : undefined;
    let reply: Reply;
    try {
      const { key, leaseId, maxHoldMs, app } = options;
      // The reply channel is only kept for a waiter: not sent with a try.
      const channel = waitMs > 0 ? this.channel : '';
      const args = [key, leaseId, maxHoldMs ?? 0, waitMs, waiterId, channel, callerArg(app)];
      reply = (await this.redis.script('acquire', acquireScript, ...args)) as Reply;
    } catch (error) {
      pending?.discard();
      throw error;
    }
    if (reply[0] !== 'queued' || !pending) pending?.discard();
    if (reply[0] === 'nolease') throw leaseNotFound(options.leaseId);
    if (reply[0] === 'queued' && pending) {
      return pending.wait(waitMs, { [options.key]: Number(reply[5]) }, options.signal);
    }
    return acquireResult(reply);
  }

  async release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus> {
    const reply = (await this.redis.script('release', releaseScript, key, leaseId, callerArg(app))) as Reply;
    return reply[0] as ReleaseStatus;
  }

  async forceRelease(key: string): Promise<boolean> {
    return (await this.redis.script('forceRelease', forceReleaseScript, key)) === 1;
  }

  async describe(key: string): Promise<LockInfo> {
    const json = String(await this.redis.script('describeLock', describeLockScript, key));
    return lockInfo(JSON.parse(json) as LockInfo);
  }

  async list(prefix: string, limit: number): Promise<LockInfo[]> {
    const json = String(await this.redis.script('listLocks', listLocksScript, prefix, limit));
    return list<LockInfo>(JSON.parse(json)).map(lockInfo);
  }

  async check(key: string, token: number): Promise<boolean> {
    return (await this.redis.script('checkFence', checkFenceScript, key, token)) === 1;
  }
}
