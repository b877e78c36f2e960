import type { FlatStore } from '../flat-store.js';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LeaseholdError, newLeaseId, storeError, WatchHub } from '@leasehold/core';
import type {
  AcquireOptions,
  AcquireResult,
  GrantOptions,
  KvEntry,
  LeaseApp,
  LeaseDetail,
  LeaseInfo,
  LockInfo,
  PutOptions,
  ReleaseStatus,
  StoreStats,
  UnlockStatus,
  Unsubscribe,
  Usage,
  UsageQuery,
  WatchOptions,
} from '@leasehold/core';
import { daprTryLockScript, daprUnlockScript } from './dapr-scripts.js';
import { indexOldKeys, kvEntries, listStart } from './kv-index.js';
import { deleteScript, listKeysScript, putScript } from './kv-scripts.js';
import { LeaseReaper } from './lease-reaper.js';
import {
  getLeaseScript,
  grantLeaseScript,
  keepAliveScript,
  reapLeasesScript,
  revokeLeaseScript,
} from './lease-scripts.js';
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
import { unreachable } from './connect.js';
import { callerArg } from './lua-script.js';
import type { LuaScript, ScriptArg } from './lua-script.js';
import { RedisWaiters } from './redis-waiters.js';
import type { Reply } from './replies.js';
import {
  acquireResult,
  leaseDetail,
  leaseNotFound,
  list,
  lockInfo,
  putRefusal,
  storePrefix,
  text,
  usageOf,
  watchEvent,
} from './replies.js';
import { counterAddScript, counterSetScript, statsScript, usageScript } from './usage-scripts.js';

/**
 * A Store on one Redis (a node or a Sentinel-managed master). Every operation is one Lua script,
 * so it is atomic in Redis and several Leasehold servers may share the store. `command` runs the
 * scripts; `subscriber` carries this server's waiter channel and the store's event channel.
 */
export class RedisStore implements FlatStore {
  private readonly prefix: string;
  private readonly channel: string;
  private readonly waiters: RedisWaiters;
  private readonly hub = new WatchHub(10_000);
  private readonly reaper: LeaseReaper;
  private watching: Promise<unknown> | undefined;
  private closed = false;

  constructor(
    storeName: string,
    private readonly command: Redis,
    private readonly subscriber: Redis,
  ) {
    this.prefix = storePrefix(storeName);
    this.channel = `${this.prefix}srv:${randomUUID()}`;
    this.waiters = new RedisWaiters({
      handoff: async (key) => Number(await this.script('handoff', handoffScript, key)),
      cancel: async (key, id) => void (await this.script('acquire', cancelWaitScript, key, id)),
      status: async (key, id) => Number(await this.script('acquire', waiterStatusScript, key, id)),
    });
    this.reaper = new LeaseReaper(async (limit) => {
      const [reaped, next] = (await this.script('reapLeases', reapLeasesScript, limit)) as Reply;
      return [Number(reaped), Number(next)] as const;
    });
    subscriber.on('ready', () => void this.waiters.recheck());
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.waiters.onMessage(message);
      else if (channel === `${this.prefix}events`) this.onEvent(message);
    });
  }

  /** Subscribes this server's waiter channel; call once before use. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    await indexOldKeys(this.command, this.prefix);
    this.reaper.arm(0);
  }

  async grantLease(options: GrantOptions): Promise<LeaseInfo> {
    const { ttlMs, owner, app } = options;
    const id = newLeaseId();
    await this.script('grantLease', grantLeaseScript, id, ttlMs, owner ?? '', app);
    this.reaper.arm(ttlMs);
    return { id, ttlMs, ...(owner === undefined ? {} : { owner }), app };
  }

  async keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined> {
    const reply = (await this.script('keepAlive', keepAliveScript, leaseId, callerArg(app))) as Reply;
    const [ttlMs, owner, leaseApp] = reply.map(text);
    if (ttlMs === undefined) return undefined;
    this.reaper.arm(Number(ttlMs));
    return {
      id: leaseId,
      ttlMs: Number(ttlMs),
      ...(owner === undefined ? {} : { owner }),
      ...(leaseApp === undefined ? {} : { app: leaseApp }),
    };
  }

  async revokeLease(leaseId: string, app: LeaseApp): Promise<boolean> {
    return (await this.script('revokeLease', revokeLeaseScript, leaseId, callerArg(app))) === 1;
  }

  async getLease(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined> {
    const json = String(await this.script('getLease', getLeaseScript, leaseId, callerArg(app)));
    return json === '' ? undefined : leaseDetail(leaseId, json);
  }

  async acquire(options: AcquireOptions): Promise<AcquireResult> {
    const waitMs = options.signal?.aborted ? 0 : Math.max(0, options.waitMs ?? 0);
    const waiterId = waitMs > 0 ? randomUUID() : '';
    const pending = waitMs > 0 ? this.waiters.register(waiterId, options.key) : undefined;
    let reply: Reply;
    try {
      const { key, leaseId, maxHoldMs, app } = options;
      const args = [key, leaseId, maxHoldMs ?? 0, waitMs, waiterId, this.channel, callerArg(app)];
      reply = (await this.script('acquire', acquireScript, ...args)) as Reply;
    } catch (error) {
      pending?.discard();
      throw error;
    }
    if (reply[0] !== 'queued' || !pending) pending?.discard();
    if (reply[0] === 'nolease') throw leaseNotFound(options.leaseId);
    if (reply[0] === 'queued' && pending) return pending.wait(waitMs, Number(reply[5]), options.signal);
    return acquireResult(reply);
  }

  async release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus> {
    const reply = (await this.script('release', releaseScript, key, leaseId, callerArg(app))) as Reply;
    return reply[0] as ReleaseStatus;
  }

  async forceRelease(key: string): Promise<boolean> {
    return (await this.script('forceRelease', forceReleaseScript, key)) === 1;
  }

  async describeLock(key: string): Promise<LockInfo> {
    return lockInfo(
      JSON.parse(String(await this.script('describeLock', describeLockScript, key))) as LockInfo,
    );
  }

  async listLocks(prefix: string, limit: number): Promise<LockInfo[]> {
    const json = String(await this.script('listLocks', listLocksScript, prefix, limit));
    return list<LockInfo>(JSON.parse(json)).map(lockInfo);
  }

  async checkFence(key: string, token: number): Promise<boolean> {
    return (await this.script('checkFence', checkFenceScript, key, token)) === 1;
  }

  async daprTryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult> {
    const reply = (await this.script('daprTryLock', daprTryLockScript, key, owner, ttlMs, app)) as Reply;
    return acquireResult(reply);
  }

  async daprUnlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus> {
    const reply = await this.script('daprUnlock', daprUnlockScript, key, owner, callerArg(app));
    return Number(reply) as UnlockStatus;
  }

  async put(options: PutOptions): Promise<{ version: number; revision: number }> {
    const { key, value, leaseId, ifVersion, fence, app } = options;
    const fenceArgs = [fence?.key ?? '', fence?.token ?? 0];
    const args = [key, value, leaseId ?? '', ifVersion ?? '', ...fenceArgs, callerArg(app)];
    const reply = (await this.script('put', putScript, ...args)) as Reply;
    if (reply[0] === 'ok') return { version: Number(reply[1]), revision: Number(reply[2]) };
    throw putRefusal(reply[0], options, reply[1]);
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const row = await this.call('get', () => this.command.hgetall(`${this.prefix}kv:${key}`));
    if (row.version === undefined) return undefined;
    const [leaseId, app] = [text(row.lease), text(row.app)];
    return {
      key,
      value: row.value ?? '',
      version: Number(row.version),
      revision: Number(row.rev),
      ...(leaseId === undefined ? {} : { leaseId }),
      ...(leaseId === undefined || app === undefined ? {} : { app }),
    };
  }

  async delete(key: string): Promise<boolean> {
    return (await this.script('delete', deleteScript, key)) === 1;
  }

  async listKeys(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]> {
    return kvEntries(await this.script('listKeys', listKeysScript, prefix, listStart(prefix, after), limit));
  }

  async counterAdd(name: string, delta: number): Promise<number> {
    if (!Number.isSafeInteger(delta))
      throw new LeaseholdError('INVALID_ARGUMENT', 'delta: must be an integer');
    return Number(await this.script('counterAdd', counterAddScript, name, delta));
  }

  async counterGet(name: string): Promise<number> {
    return Number((await this.call('counterGet', () => this.command.get(`${this.prefix}ctr:${name}`))) ?? 0);
  }

  async counterSet(name: string, value: number): Promise<void> {
    if (!Number.isSafeInteger(value))
      throw new LeaseholdError('INVALID_ARGUMENT', 'value: must be an integer');
    await this.script('counterSet', counterSetScript, name, value);
  }

  /** Counted in Redis by the scripts that change state, so every server sharing the store agrees. */
  async usage(query: UsageQuery): Promise<Usage> {
    const args = [query.app, query.scope, query.kvKey ?? '', query.counter ?? ''];
    return usageOf((await this.script('usage', usageScript, ...args)) as Reply);
  }

  /** Counted by the scripts that change state (usage-lua), so one script reads them. */
  async stats(): Promise<StoreStats> {
    const [leases, locks, waiters] = (await this.script('stats', statsScript)) as number[];
    return { leases: Number(leases), locks: Number(locks), waiters: Number(waiters) };
  }

  watch(options: WatchOptions): Unsubscribe {
    // Subscribed on first use; pub/sub delivers one channel in publish order, which is revision order.
    this.watching ??= this.subscriber
      .subscribe(`${this.prefix}events`)
      .catch(() => (this.watching = undefined));
    return this.hub.subscribe(options);
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    const down = unreachable(this.command) ?? unreachable(this.subscriber);
    if (down) throw new Error(down);
    return (await this.command.ping()) === 'PONG';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reaper.close();
    const open = this.waiters.failAll(new LeaseholdError('UNAVAILABLE', 'store is closing'));
    // Take our waiters out of Redis so no grant goes to a server that has gone.
    await Promise.allSettled(
      open.map((w) => cancelWaitScript.run(this.command, [this.prefix, w.key, w.waiterId])),
    );
    this.hub.close();
    await Promise.allSettled([this.command.quit(), this.subscriber.quit()]);
    this.command.disconnect();
    this.subscriber.disconnect();
  }

  private onEvent(message: string): void {
    const event = watchEvent(message);
    if (event) this.hub.publish([event]);
  }

  private script(op: string, script: LuaScript, ...args: ScriptArg[]): Promise<unknown> {
    return this.call(op, () => script.run(this.command, [this.prefix, ...args]));
  }

  private async call<T>(op: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
    try {
      return await run();
    } catch (error) {
      throw storeError(op, error);
    }
  }
}
