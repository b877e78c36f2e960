import type { FlatStore } from '../flat-store.js';
import { fromFlat } from '../flat-store.js';
import { LeaseholdError, newLeaseId, WatchHub } from '@leasehold/core';
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
  Store,
  UnlockStatus,
  Unsubscribe,
  Usage,
  StoreStats,
  UsageQuery,
  WatchEvent,
  WatchOptions,
} from '@leasehold/core';
import type { RedisStoreConfig } from '../redis/config.js';
import { createClient, unreachable } from '../redis/connect.js';
import { daprTryLockScript, daprUnlockScript } from '../redis/dapr-scripts.js';
import { indexOldKeys } from '../redis/kv-index.js';
import { LeaseReaper } from '../redis/lease-reaper.js';
import {
  getLeaseScript,
  grantLeaseScript,
  keepAliveScript,
  reapLeasesScript,
  revokeLeaseScript,
} from '../redis/lease-scripts.js';
import {
  acquireScript,
  checkFenceScript,
  describeLockScript,
  forceReleaseScript,
  listLocksScript,
  releaseScript,
} from '../redis/lock-scripts.js';
import { callerArg } from '../redis/lua-script.js';
import { driftMs, Masters } from './quorum.js';
import { grantOnMajority } from './redlock-grant.js';
import { lockAnswers, mergeLease, mergeLock, mergeLocks, mergeUsage, pickStatus } from './redlock-merge.js';
import { RedlockKv } from './redlock-kv.js';
import { RedlockWaiters } from './redlock-waiters.js';
import type { Reply } from '../redis/replies.js';
import { leaseNotFound, storePrefix, text } from '../redis/replies.js';
import { statsScript, usageScript } from '../redis/usage-scripts.js';

type RedlockConfig = Extract<RedisStoreConfig, { mode: 'redlock' }>;

/**
 * Opens a Redlock store over independent masters. Masters down at start keep reconnecting in the
 * background, as after any later failure; the store is ready once a majority answers (ADR 0009).
 */
export async function openRedlockStore(name: string, config: RedlockConfig): Promise<Store> {
  const clients = config.endpoints.map((endpoint) => createClient(config, { endpoint }));
  await Promise.allSettled(clients.map((c) => c.connect()));
  // A master that is down now builds its index at a later start: until then it lists only new keys.
  await Promise.allSettled(clients.map((c) => indexOldKeys(c, storePrefix(name))));
  return fromFlat(new RedlockStore(new Masters(clients, storePrefix(name)), config.driftFactor));
}

/**
 * A Store over N independent Redis masters (Redlock). Each master runs the single-Redis scripts;
 * an operation stands when a majority agrees. Grants use two phases so fencing tokens rise (see
 * grantOnMajority). Waiting is FIFO per server and retried, not handed off (see RedlockWaiters);
 * watch sees this server's own changes only.
 */
export class RedlockStore implements FlatStore {
  private readonly waiters = new RedlockWaiters((key, leaseId) => this.release(key, leaseId, undefined));
  private readonly hub = new WatchHub(10_000);
  // Each master keeps its own lease deadlines; reaping them keeps its side keys from piling up.
  private readonly reaper = new LeaseReaper(async (limit) => {
    const answers = (await this.masters.run(reapLeasesScript, [limit])) as (Reply | undefined)[];
    const given = answers.filter((a) => a !== undefined);
    for (const answer of given) this.countEnded(answer[2]);
    const next = given.map((a) => Number(a[1])).filter((n) => n >= 0);
    return [
      Math.max(0, ...given.map((a) => Number(a[0]))),
      next.length > 0 ? Math.min(...next) : -1,
    ] as const;
  });
  private readonly kv: RedlockKv;
  private lastRevision = 0;
  /** How many masters have reaped each lease not yet announced as expired. */
  private readonly endedOn = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly masters: Masters,
    private readonly driftFactor: number,
  ) {
    this.kv = new RedlockKv(masters, (event) =>
      this.emit({ ...event, revision: this.revision(event.revision) }),
    );
  }

  async grantLease(options: GrantOptions): Promise<LeaseInfo> {
    this.open();
    const { ttlMs, owner, app } = options;
    const id = newLeaseId();
    const started = performance.now();
    const answers = await this.masters.run(grantLeaseScript, [id, ttlMs, owner ?? '', app]);
    if (this.masters.count(answers, (a) => a === 1) < this.masters.quorum || !this.valid(ttlMs, started)) {
      await this.masters.run(revokeLeaseScript, [id, callerArg(undefined)]);
      throw new LeaseholdError('STORE_ERROR', 'store failed during grantLease: no Redlock majority in time');
    }
    this.reaper.arm(ttlMs);
    return { id, ttlMs, ...(owner === undefined ? {} : { owner }), app };
  }

  async keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined> {
    this.open();
    const started = performance.now();
    const answers = await this.masters.run(keepAliveScript, [leaseId, callerArg(app)]);
    this.masters.requireQuorum('keepAlive', answers);
    const live = answers.filter((a) => Array.isArray(a) && a.length > 0) as Reply[];
    const ttlMs = Number(live[0]?.[0]);
    if (live.length < this.masters.quorum || !this.valid(ttlMs, started)) return undefined;
    const [owner, leaseApp] = [text(live[0]?.[1]), text(live[0]?.[2])];
    return {
      id: leaseId,
      ttlMs,
      ...(owner === undefined ? {} : { owner }),
      ...(leaseApp === undefined ? {} : { app: leaseApp }),
    };
  }

  async revokeLease(leaseId: string, app: LeaseApp): Promise<boolean> {
    this.open();
    const answers = await this.masters.run(revokeLeaseScript, [leaseId, callerArg(app)]);
    this.masters.requireQuorum('revokeLease', answers);
    const revoked = this.masters.count(answers, (a) => a === 1) > 0;
    // Another app's lease was left alone, and so are its waiters here.
    if (!revoked) return false;
    this.waiters.failLease(leaseId, leaseNotFound(leaseId));
    this.waiters.wakeAll();
    return true;
  }

  async getLease(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined> {
    this.open();
    const answers = await this.masters.run(getLeaseScript, [leaseId, callerArg(app)]);
    this.masters.requireQuorum('getLease', answers);
    return mergeLease(leaseId, answers, this.masters.quorum);
  }

  async acquire(options: AcquireOptions): Promise<AcquireResult> {
    const { key, leaseId, maxHoldMs, signal, app } = options;
    const waitMs = signal?.aborted ? 0 : Math.max(0, options.waitMs ?? 0);
    const attempt = () => this.tryAcquire(key, leaseId, maxHoldMs ?? 0, app);
    // FIFO within this server: a newcomer never overtakes a waiter queued here.
    if (waitMs > 0 && this.waiters.count(key) > 0)
      return this.waiters.wait(key, leaseId, waitMs, signal, attempt);
    const first = await attempt();
    if (first.acquired || waitMs === 0) return first;
    return this.waiters.wait(key, leaseId, waitMs, signal, attempt);
  }

  async release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus> {
    this.open();
    const answers = (await this.masters.run(releaseScript, [key, leaseId, callerArg(app)])) as (
      Reply | undefined
    )[];
    this.masters.requireQuorum('release', answers);
    const statuses = answers.map((a) => a?.[0]);
    const status = pickStatus<ReleaseStatus>(statuses, 'released', ['held_by_other', 'not_held']);
    if (status === 'released')
      this.released(key, leaseId, text(answers.find((a) => a?.[0] === 'released')?.[1]));
    return status;
  }

  async forceRelease(key: string): Promise<boolean> {
    this.open();
    const answers = await this.masters.run(forceReleaseScript, [key]);
    this.masters.requireQuorum('forceRelease', answers);
    const released = this.masters.count(answers, (a) => a === 1) > 0;
    if (released) this.released(key);
    return released;
  }

  async describeLock(key: string): Promise<LockInfo> {
    this.open();
    const answers = await this.masters.run(describeLockScript, [key]);
    this.masters.requireQuorum('describeLock', answers);
    return mergeLock(key, lockAnswers(answers), this.masters.quorum, this.waiters.count(key));
  }

  async listLocks(prefix: string, limit: number): Promise<LockInfo[]> {
    this.open();
    const answers = await this.masters.run(listLocksScript, [prefix, limit]);
    this.masters.requireQuorum('listLocks', answers);
    return mergeLocks(answers, this.masters.quorum, limit);
  }

  async checkFence(key: string, token: number): Promise<boolean> {
    this.open();
    const answers = await this.masters.run(checkFenceScript, [key, token]);
    this.masters.requireQuorum('checkFence', answers);
    return this.masters.count(answers, (a) => a === 1) >= this.masters.quorum;
  }

  async daprTryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult> {
    this.open();
    const result = await grantOnMajority(this.masters, {
      op: 'daprTryLock',
      key,
      script: daprTryLockScript,
      args: [key, owner, ttlMs, app],
      undo: (only) => this.masters.run(daprUnlockScript, [key, owner], only),
      ttlMs,
      driftFactor: this.driftFactor,
    });
    if (result.acquired) this.acquired(key, `dapr:${result.fencingToken}`, result.fencingToken, app);
    return result;
  }

  async daprUnlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus> {
    this.open();
    const answers = await this.masters.run(daprUnlockScript, [key, owner, callerArg(app)]);
    this.masters.requireQuorum('daprUnlock', answers);
    const status = pickStatus<number>(answers, 0, [2, 1]) as UnlockStatus;
    if (status === 0) this.released(key);
    return status;
  }

  put(options: PutOptions): Promise<{ version: number; revision: number }> {
    this.open();
    return this.kv.put(options);
  }

  get(key: string): Promise<KvEntry | undefined> {
    this.open();
    return this.kv.get(key);
  }

  delete(key: string): Promise<boolean> {
    this.open();
    return this.kv.delete(key);
  }

  listKeys(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]> {
    this.open();
    return this.kv.listKeys(prefix, after, limit);
  }

  counterAdd(name: string, delta: number): Promise<number> {
    this.open();
    return this.kv.counterAdd(name, delta);
  }

  counterGet(name: string): Promise<number> {
    this.open();
    return this.kv.counterGet(name);
  }

  counterSet(name: string, value: number): Promise<void> {
    this.open();
    return this.kv.counterSet(name, value);
  }

  /** Each master counts what it holds; a majority answers, and the highest count stands. */
  /**
   * Live leases and held locks, as the highest count among a majority of masters (the rule usage
   * follows), and the acquires waiting on this server: Redlock's queues live in each server.
   */
  async stats(): Promise<StoreStats> {
    this.open();
    const answers = await this.masters.run(statsScript, []);
    this.masters.requireQuorum('stats', answers);
    const counts = answers.filter((a): a is number[] => Array.isArray(a));
    const highest = (i: number) => Math.max(...counts.map((c) => Number(c[i] ?? 0)));
    return { leases: highest(0), locks: highest(1), waiters: this.waiters.size };
  }

  async usage(query: UsageQuery): Promise<Usage> {
    this.open();
    const args = [query.app, query.scope, query.kvKey ?? '', query.counter ?? ''];
    const answers = await this.masters.run(usageScript, args);
    this.masters.requireQuorum('usage', answers);
    return mergeUsage(answers, this.masters.quorum);
  }

  watch(options: WatchOptions): Unsubscribe {
    return this.hub.subscribe(options);
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    const answers = await this.masters.each((c) => c.ping());
    if (this.masters.count(answers, (a) => a === 'PONG') >= this.masters.quorum) return true;
    const down = this.masters.clients.map(unreachable).filter((d) => d !== undefined);
    const total = this.masters.clients.length;
    throw new Error(`fewer than ${this.masters.quorum} of ${total} redisHosts answer; ${down.join('; ')}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reaper.close();
    this.waiters.failAll(new LeaseholdError('UNAVAILABLE', 'store is closing'));
    this.hub.close();
    await this.masters.each((c) => c.quit());
    for (const client of this.masters.clients) client.disconnect();
  }

  private async tryAcquire(
    key: string,
    leaseId: string,
    maxHoldMs: number,
    app: LeaseApp,
  ): Promise<AcquireResult> {
    this.open();
    const result = await grantOnMajority(this.masters, {
      op: 'acquire',
      key,
      leaseId,
      script: acquireScript,
      args: [key, leaseId, maxHoldMs, 0, '', '', callerArg(app)],
      undo: (only) => this.masters.run(releaseScript, [key, leaseId, callerArg(undefined)], only),
      ttlMs: 0,
      driftFactor: this.driftFactor,
    });
    if (result.acquired) this.acquired(key, leaseId, result.fencingToken, result.app);
    return result.acquired ? { acquired: true, fencingToken: result.fencingToken } : result;
  }

  private valid(ttlMs: number, started: number): boolean {
    return ttlMs - (performance.now() - started) - driftMs(ttlMs, this.driftFactor) > 0;
  }

  private acquired(key: string, leaseId: string, token: number, app: string | undefined): void {
    const revision = this.revision(token);
    this.emit({
      type: 'lock.acquired',
      key,
      revision,
      leaseId,
      ...(app ? { app } : {}),
      fencingToken: token,
    });
  }

  private released(key: string, leaseId?: string, app?: string): void {
    const lease = leaseId ? { leaseId, ...(app ? { app } : {}) } : {};
    this.emit({ type: 'lock.released', key, revision: this.revision(), ...lease });
    this.waiters.wake(key);
  }

  /**
   * Announces a lease's expiry here once a majority of masters has reaped it: a lease that lapsed
   * on a minority only still lives. `ended` is a reap answer's flat {id, app, ...} list.
   */
  private countEnded(ended: unknown): void {
    if (!Array.isArray(ended)) return;
    for (let i = 0; i + 1 < ended.length; i += 2) {
      const [id, app] = [String(ended[i]), String(ended[i + 1])];
      const seen = (this.endedOn.get(id) ?? 0) + 1;
      if (seen !== this.masters.quorum) {
        this.endedOn.set(id, seen);
        continue;
      }
      this.endedOn.delete(id);
      this.emit({
        type: 'lease.expired',
        key: id,
        revision: this.revision(),
        leaseId: id,
        ...(app ? { app } : {}),
      });
    }
    // Ids a majority never reaped (revoked meanwhile, or a master lost) must not pile up.
    if (this.endedOn.size > 10_000) this.endedOn.clear();
  }

  /** Revisions of this server's events: rising, and at least the backend's when one is known. */
  private revision(hint = 0): number {
    this.lastRevision = Math.max(this.lastRevision + 1, hint);
    return this.lastRevision;
  }

  private emit(event: WatchEvent): void {
    this.hub.publish([event]);
  }

  private open(): void {
    if (this.closed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
  }
}
