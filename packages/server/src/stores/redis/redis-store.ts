import type { Redis } from 'ioredis';
import type { LeaseholdError, SemaphoreStore, Store, StoreStats, Usage, UsageQuery } from '@leasehold/core';
import { unreachable } from './connect.js';
import { RedisCounters } from './counters.js';
import { RedisDapr } from './dapr.js';
import { RedisKv } from './kv.js';
import { checkLayout } from './layout.js';
import { RedisLeases } from './leases.js';
import { RedisLocks } from './locks.js';
import { RedisMultiLocks } from './multi-locks.js';
import { RedisPools } from './pools.js';
import type { Reply } from './replies.js';
import { RedisRwLocks } from './rwlocks.js';
import { redisSemaphores } from './semaphores.js';
import { storePrefix, usageOf } from './replies.js';
import { ScriptRunner } from './script-runner.js';
import { statsScript, usageScript } from './usage-scripts.js';
import { RedisWatch } from './watch.js';

/**
 * A Store on one Redis (a node or a Sentinel-managed master), one capability per primitive. Every
 * operation is one Lua script, so it is atomic in Redis and several Leasehold servers may share the
 * store. `command` runs the scripts, `subscriber` carries this server's waiter channel, and `reader`
 * reads the store's event stream (blocking reads, so a connection of its own).
 */
export class RedisStore implements Store {
  readonly leases: RedisLeases;
  readonly locks: RedisLocks;
  readonly multiLock: RedisMultiLocks;
  readonly dapr: RedisDapr;
  readonly kv: RedisKv;
  readonly counters: RedisCounters;
  readonly semaphores: SemaphoreStore;
  readonly rwlocks: RedisRwLocks;
  readonly watch: RedisWatch;
  private readonly redis: ScriptRunner;
  private readonly pools: RedisPools;

  constructor(
    private readonly storeName: string,
    command: Redis,
    private readonly subscriber: Redis,
    private readonly reader: Redis,
    blockMs: number,
  ) {
    this.redis = new ScriptRunner(command, storePrefix(storeName));
    this.leases = new RedisLeases(this.redis);
    this.locks = new RedisLocks(this.redis, subscriber);
    this.multiLock = new RedisMultiLocks(this.redis, subscriber);
    this.dapr = new RedisDapr(this.redis, (ttlMs) => this.leases.reapWithin(ttlMs));
    this.kv = new RedisKv(this.redis);
    this.counters = new RedisCounters(this.redis);
    this.pools = new RedisPools(this.redis, subscriber);
    this.semaphores = redisSemaphores(this.pools);
    this.rwlocks = new RedisRwLocks(this.pools);
    this.watch = new RedisWatch(this.redis.prefix, reader, command, blockMs);
  }

  /** Checks the data's layout (marking a fresh store); on a mismatch every op fails with the returned error. */
  async checkLayout(): Promise<LeaseholdError | undefined> {
    const refusal = await checkLayout(this.redis.command, this.storeName, this.redis.prefix);
    if (refusal) this.redis.refuse(refusal);
    return refusal;
  }

  /** Subscribes this server's waiter channels, indexes old keys and reaps; call once before use. */
  async start(): Promise<void> {
    await this.locks.start();
    await this.pools.start();
    await this.multiLock.start();
    await this.kv.start();
    this.leases.start();
  }

  /** Counted in Redis by the scripts that change state, so every server sharing the store agrees. */
  async usage(query: UsageQuery): Promise<Usage> {
    const args = [query.app, query.scope, query.kvKey ?? '', query.counter ?? ''];
    return usageOf((await this.redis.script('usage', usageScript, ...args)) as Reply);
  }

  /** Counted by the scripts that change state (usage-lua), so one script reads them. */
  async stats(): Promise<StoreStats> {
    const reply = (await this.redis.script('stats', statsScript)) as number[];
    const [leases, locks, waiters, permits] = reply.map(Number);
    return { leases: leases ?? 0, locks: locks ?? 0, waiters: waiters ?? 0, permits: permits ?? 0 };
  }

  async ping(): Promise<boolean> {
    if (this.redis.isClosed) return false;
    const { command } = this.redis;
    const down = unreachable(command) ?? unreachable(this.subscriber);
    if (down) throw new Error(down);
    return (await command.ping()) === 'PONG';
  }

  async close(): Promise<void> {
    if (this.redis.isClosed) return;
    this.redis.close();
    this.leases.close();
    await Promise.all([this.locks.close(), this.pools.close(), this.multiLock.close()]);
    this.watch.close();
    const clients = [this.redis.command, this.subscriber, this.reader];
    await Promise.allSettled(clients.map((client) => client.quit()));
    for (const client of clients) client.disconnect();
  }
}
