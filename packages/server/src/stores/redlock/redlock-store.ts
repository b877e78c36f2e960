import type { Store, StoreStats, Usage, UsageQuery } from '@leasehold/core';
import { LeaseholdError } from '@leasehold/core';
import type { RedisStoreConfig } from '../redis/config.js';
import { createClient, unreachable } from '../redis/connect.js';
import { indexOldKeys } from '../redis/kv-index.js';
import { checkLayout } from '../redis/layout.js';
import { storePrefix } from '../redis/replies.js';
import { statsScript, usageScript } from '../redis/usage-scripts.js';
import { RedlockCounters } from './counters.js';
import { RedlockDapr } from './dapr.js';
import { RedlockKv } from './kv.js';
import { RedlockLeases } from './leases.js';
import { RedlockLocks } from './locks.js';
import { Masters } from './quorum.js';
import { RedlockContext } from './redlock-context.js';
import { mergeUsage } from './redlock-merge.js';
import type { RedlockWatch } from './watch.js';

type RedlockConfig = Extract<RedisStoreConfig, { mode: 'redlock' }>;

/**
 * Opens a Redlock store over independent masters. Masters down at start keep reconnecting in the
 * background, as after any later failure; the store is ready once a majority answers (ADR 0009).
 */
export async function openRedlockStore(name: string, config: RedlockConfig): Promise<RedlockStore> {
  const clients = config.endpoints.map((endpoint) => createClient(config, { endpoint }));
  await Promise.allSettled(clients.map((c) => c.connect()));
  // A master that is down now builds its index at a later start: until then it lists only new keys.
  await Promise.allSettled(clients.map((c) => indexOldKeys(c, storePrefix(name))));
  // The masters run lock.redis's scripts: a master holding another data layout stops the start (ADR 0019).
  const checks = await Promise.allSettled(clients.map((c) => checkLayout(c, name, storePrefix(name))));
  for (const check of checks) {
    if (check.status === 'fulfilled' && check.value) {
      for (const client of clients) client.disconnect();
      throw check.value;
    }
  }
  return new RedlockStore(new Masters(clients, storePrefix(name)), config.driftFactor);
}

/**
 * A Store over N independent Redis masters (Redlock), one capability per primitive. Each master
 * runs the single-Redis scripts; an operation stands when a majority agrees. Waiting and watch are
 * this server's own (see RedlockContext).
 */
export class RedlockStore implements Store {
  readonly leases: RedlockLeases;
  readonly locks: RedlockLocks;
  readonly dapr: RedlockDapr;
  readonly kv: RedlockKv;
  readonly counters: RedlockCounters;
  readonly unsupported = {
    semaphores:
      'Redlock cannot offer them honestly: a pool needs one total order of grants, and majority writes over independent masters have none',
    rwlocks:
      'Redlock cannot offer them honestly: shared holders need one total order of grants, and majority writes over independent masters have none',
    multiLock:
      'Redlock cannot offer it honestly: all or nothing needs one atomic step over every lock, and majority writes over independent masters can leave a subset taken',
  };
  readonly watch: RedlockWatch;
  private readonly redlock: RedlockContext;

  constructor(
    private readonly masters: Masters,
    driftFactor: number,
  ) {
    // A grant that reached a waiter only after it gave up is released, and announced like any release.
    this.redlock = new RedlockContext(masters, driftFactor, (key, leaseId) =>
      this.locks.release(key, leaseId, undefined),
    );
    this.leases = new RedlockLeases(this.redlock);
    this.locks = new RedlockLocks(this.redlock);
    this.dapr = new RedlockDapr(this.redlock);
    this.kv = new RedlockKv(this.redlock);
    this.counters = new RedlockCounters(this.redlock);
    this.watch = this.redlock.watch;
  }

  /** Each master's connection status (ioredis's `status`), in `redisHosts` order: for tests and diagnosis. */
  masterStatuses(): string[] {
    return this.masters.clients.map((c) => c.status);
  }

  /** Counted by each master's own scripts; a majority answers, and the highest count stands. */
  async usage(query: UsageQuery): Promise<Usage> {
    this.redlock.open();
    const args = [query.app, query.scope, query.kvKey ?? '', query.counter ?? ''];
    const answers = await this.masters.run(usageScript, args);
    this.masters.requireQuorum('usage', answers);
    return mergeUsage(answers, this.masters.quorum);
  }

  /**
   * Live leases and held locks, as the highest count among a majority of masters (the rule usage
   * follows), and the acquires waiting on this server: Redlock's queues live in each server.
   */
  async stats(): Promise<StoreStats> {
    this.redlock.open();
    const answers = await this.masters.run(statsScript, []);
    this.masters.requireQuorum('stats', answers);
    const counts = answers.filter((a): a is number[] => Array.isArray(a));
    const highest = (i: number) => Math.max(...counts.map((c) => Number(c[i] ?? 0)));
    return { leases: highest(0), locks: highest(1), waiters: this.redlock.waiters.size };
  }

  async ping(): Promise<boolean> {
    if (this.redlock.isClosed) return false;
    const { masters } = this;
    const answers = await masters.each((c) => c.ping());
    if (masters.count(answers, (a) => a === 'PONG') >= masters.quorum) return true;
    const down = masters.clients.map(unreachable).filter((d) => d !== undefined);
    throw new Error(
      `fewer than ${masters.quorum} of ${masters.clients.length} redisHosts answer; ${down.join('; ')}`,
    );
  }

  async close(): Promise<void> {
    if (this.redlock.isClosed) return;
    this.redlock.close();
    this.leases.close();
    this.redlock.waiters.failAll(new LeaseholdError('UNAVAILABLE', 'store is closing'));
    this.watch.close();
    await this.masters.each((c) => c.quit());
    for (const client of this.masters.clients) client.disconnect();
  }
}
