import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  AcquireAllOptions,
  AcquireAllResult,
  LeaseApp,
  LockHolder,
  MultiLockStore,
  ReleaseStatus,
} from '@leasehold/core';
import { multiLockKeys } from '@leasehold/core';
import { handoffScript } from './lock-scripts.js';
import { callerArg } from './lua-script.js';
import {
  acquireAllScript,
  allStatusScript,
  cancelAllScript,
  releaseAllScript,
} from './multi-lock-scripts.js';
import { RedisWaiters } from './redis-waiters.js';
import type { Reply } from './replies.js';
import { leaseNotFound } from './replies.js';
import type { ScriptRunner } from './script-runner.js';

const NONE: AcquireAllResult = { acquired: false, holders: {} };

/** A holder as the acquireAll script encodes it (cjson leaves out what is nil). */
interface RawHolder {
  leaseId: string;
  fencingToken: number;
  owner?: string;
  app?: string;
}

/** A grant as the scripts encode it: the fencing tokens by key, as JSON. */
function granted(json: string): Extract<AcquireAllResult, { acquired: true }> {
  return { acquired: true, fencingTokens: JSON.parse(json) as Record<string, number> };
}

function holdersOf(json: string): Record<string, LockHolder> {
  const raw = JSON.parse(json) as Record<string, RawHolder>;
  const holders: Record<string, LockHolder> = {};
  for (const [key, { leaseId, fencingToken, owner, app }] of Object.entries(raw)) {
    holders[key] = { leaseId, fencingToken, ...(owner ? { owner } : {}), ...(app ? { app } : {}) };
  }
  return holders;
}

/**
 * All-or-nothing multi-locks of a `lock.redis` store (docs/adr/0027): one script takes every key or
 * queues one composite waiter on every key's queue; the locks' own hand-off grants it once it heads
 * them all and all are free. Its grants arrive on a channel of this server's own (`g <waiterId>
 * <tokens JSON>`, or `l <waiterId>` when its lease ended).
 */
export class RedisMultiLocks implements MultiLockStore {
  private readonly channel: string;
  private readonly waiters: RedisWaiters<AcquireAllResult>;

  constructor(
    private readonly redis: ScriptRunner,
    private readonly subscriber: Redis,
  ) {
    this.channel = `${redis.prefix}srv:${randomUUID()}`;
    this.waiters = new RedisWaiters<AcquireAllResult>({
      handoff: async (key) => Number(await redis.script('handoff', handoffScript, key)),
      cancel: async (id, keys) => {
        await redis.script('acquireAll', cancelAllScript, id, ...keys);
        return NONE;
      },
      status: async (id, keys) => {
        const json = String(await redis.script('acquireAll', allStatusScript, id, ...keys));
        if (json === '') return 'queued';
        return json === '-' ? undefined : granted(json);
      },
      granted: (json) => {
        const outcome = granted(json);
        return { outcome, keys: Object.keys(outcome.fencingTokens) };
      },
    });
    this.waiters.listen(subscriber, this.channel);
  }

  /** Subscribes this server's multi-lock channel; call once before use. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** Fails this server's waiting sets and takes them out of Redis, so no grant goes to a server that has gone. */
  async close(): Promise<void> {
    // Run directly: the runner already refuses ops, and these are the store's last words.
    const { command, prefix } = this.redis;
    await this.waiters.close((id, keys) => cancelAllScript.run(command, prefix, [id, ...keys]));
  }

  async acquireAll(options: AcquireAllOptions): Promise<AcquireAllResult> {
    const keys = multiLockKeys(options.keys);
    const waitMs = options.signal?.aborted ? 0 : Math.max(0, options.waitMs ?? 0);
    const waiterId = waitMs > 0 ? `m:${randomUUID()}` : '';
    const pending = waitMs > 0 ? this.waiters.register(waiterId, keys) : undefined;
    let reply: Reply;
    try {
      const { leaseId, maxHoldMs, app } = options;
      const channel = waitMs > 0 ? this.channel : '';
      const args = [leaseId, maxHoldMs ?? 0, waitMs, waiterId, channel, callerArg(app), ...keys];
      reply = (await this.redis.script('acquireAll', acquireAllScript, ...args)) as Reply;
    } catch (error) {
      pending?.discard();
      throw error;
    }
    if (reply[0] !== 'queued') pending?.discard();
    if (reply[0] === 'nolease') throw leaseNotFound(options.leaseId);
    if (reply[0] === 'ok') return granted(String(reply[1]));
    if (reply[0] !== 'queued' || !pending) return { acquired: false, holders: holdersOf(String(reply[1])) };
    const wake = JSON.parse(String(reply[2])) as Record<string, number>;
    return pending.wait(waitMs, wake, options.signal);
  }

  async releaseAll(
    keys: readonly string[],
    leaseId: string,
    app: LeaseApp,
  ): Promise<Readonly<Record<string, ReleaseStatus>>> {
    const unique = multiLockKeys(keys);
    const reply = (await this.redis.script(
      'releaseAll',
      releaseAllScript,
      leaseId,
      callerArg(app),
      ...unique,
    )) as Reply;
    return Object.fromEntries(unique.map((key, i) => [key, reply[i] as ReleaseStatus]));
  }
}
