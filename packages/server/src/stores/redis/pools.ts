import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  LeaseApp,
  PermitAcquireOptions,
  PermitAcquireResult,
  PermitReleaseStatus,
  RwPermitPools,
  SemaphoreInfo,
} from '@leasehold/core';
import { invalidArgument } from '@leasehold/core';
import { callerArg } from './lua-script.js';
import type { PoolKind, RawPool } from './pool-replies.js';
import {
  acquireOutcome,
  limitMismatch,
  permitGrant,
  permitStatus,
  poolInfo,
  refusalOf,
  wrongKind,
} from './pool-replies.js';
import {
  poolAcquireScript,
  poolCancelScript,
  poolCheckScript,
  poolDescribeScript,
  poolHandoffScript,
  poolListScript,
  poolReleaseScript,
  poolSetLimitScript,
  poolStatusScript,
} from './pool-scripts.js';
import { RedisWaiters } from './redis-waiters.js';
import type { Reply } from './replies.js';
import { list } from './replies.js';
import type { ScriptRunner } from './script-runner.js';

/**
 * The permit pools of a `lock.redis` store, under its semaphores and read/write locks: one Lua
 * script per operation (pool-scripts.ts), queues in Redis, and this server's waiters told of their
 * grants on a channel of their own (a lock waiter's channel would pass a permit grant on as unknown).
 */
export class RedisPools {
  private readonly channel: string;
  private readonly waiters: RedisWaiters<PermitAcquireResult>;

  constructor(
    private readonly redis: ScriptRunner,
    private readonly subscriber: Redis,
  ) {
    this.channel = `${redis.prefix}srv:${randomUUID()}`;
    this.waiters = new RedisWaiters<PermitAcquireResult>({
      handoff: async (key) => Number(await redis.script('permitHandoff', poolHandoffScript, key)),
      cancel: async (id, [key = '']) =>
        refusalOf(await redis.script('acquirePermits', poolCancelScript, key, id)),
      status: async (id, [key = '']) =>
        permitStatus(String(await redis.script('acquirePermits', poolStatusScript, key, id))),
      granted: permitGrant,
    });
    this.waiters.listen(subscriber, this.channel);
  }

  /** Subscribes this server's permit waiter channel; call once before use. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** The pools of one kind, as a capability over them (RwPermitPools: a semaphore adds setLimit). */
  ofKind(kind: PoolKind): RwPermitPools {
    return {
      acquire: (options) => this.acquire(kind, options),
      release: (key, leaseId, app) => this.release(key, leaseId, app),
      describe: (key) => this.describe(kind, key),
      list: (prefix, limit) => this.list(kind, prefix, limit),
      check: (key, token) => this.check(key, token),
    };
  }

  /** Fails this server's waiters and takes them out of Redis, so no grant goes to a server that has gone. */
  async close(): Promise<void> {
    const { command, prefix } = this.redis;
    await this.waiters.close((id, [key = '']) => poolCancelScript.run(command, prefix, [key, id]));
  }

  /** Takes `permits` of a pool of `kind`, queueing up to `waitMs` (see poolAcquireScript). */
  async acquire(kind: PoolKind, options: PermitAcquireOptions): Promise<PermitAcquireResult> {
    const { key, leaseId, limit, permits } = options;
    if (limit !== undefined && permits > limit) {
      throw invalidArgument('permits', `must be at most limit ${limit}, got ${permits}`);
    }
    const waitMs = options.signal?.aborted ? 0 : Math.max(0, options.waitMs ?? 0);
    const waiterId = waitMs > 0 ? randomUUID() : '';
    const pending = waitMs > 0 ? this.waiters.register(waiterId, [key]) : undefined;
    let reply: Reply;
    try {
      // The reply channel is only kept for a waiter: not sent with a try.
      const channel = waitMs > 0 ? this.channel : '';
      const hold = options.maxHoldMs ?? 0;
      const args = [
        key,
        leaseId,
        kind,
        limit ?? 0,
        permits,
        waitMs,
        waiterId,
        channel,
        hold,
        callerArg(options.app),
      ];
      reply = (await this.redis.script('acquirePermits', poolAcquireScript, ...args)) as Reply;
    } catch (error) {
      pending?.discard();
      throw error;
    }
    if (reply[0] === 'queued' && pending)
      return pending.wait(waitMs, { [key]: Number(reply[3]) }, options.signal);
    pending?.discard();
    return acquireOutcome(reply, options);
  }

  async release(key: string, leaseId: string, app: LeaseApp): Promise<PermitReleaseStatus> {
    const status = await this.redis.script('releasePermits', poolReleaseScript, key, leaseId, callerArg(app));
    return status === 'released' ? 'released' : 'not_held';
  }

  /** The pool of `key` if it is of `kind`. */
  async describe(kind: PoolKind, key: string): Promise<SemaphoreInfo | undefined> {
    const json = String(await this.redis.script('describePool', poolDescribeScript, key));
    const raw = json === '' ? undefined : (JSON.parse(json) as RawPool);
    return raw?.kind === kind ? poolInfo(raw) : undefined;
  }

  async list(kind: PoolKind, prefix: string, limit: number): Promise<SemaphoreInfo[]> {
    const json = String(await this.redis.script('listPools', poolListScript, prefix, limit, kind));
    return list<RawPool>(JSON.parse(json)).map(poolInfo);
  }

  async check(key: string, token: number): Promise<boolean> {
    return (await this.redis.script('checkPermit', poolCheckScript, key, token)) === 1;
  }

  /** Sets a semaphore's limit (see poolSetLimitScript). */
  async setLimit(key: string, limit: number, ifLimit?: number): Promise<SemaphoreInfo> {
    const args = [key, limit, ifLimit ?? ''];
    const [status, detail] = (await this.redis.script(
      'setSemaphoreLimit',
      poolSetLimitScript,
      ...args,
    )) as Reply;
    if (status === 'mismatch') throw limitMismatch('ifLimit', Number(detail), ifLimit ?? 0);
    if (status === 'kind') throw wrongKind(String(detail));
    return poolInfo(JSON.parse(String(detail)) as RawPool);
  }
}
