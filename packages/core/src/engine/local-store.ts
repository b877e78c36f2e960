import type { Journal } from '../changes.js';
import { LeaseholdError, storeError } from '../errors.js';
import { GroupCommit } from './group-commit.js';
import { LockEngine } from './lock-engine.js';
import { LocalMultiLocks } from './local-multi-locks.js';
import { PoolRwLocks } from '../rwlocks/pool-rwlocks.js';
import { LocalSemaphores } from './local-semaphores.js';
import type { EngineSteps } from './local-semaphores.js';
import type { LockWaiter } from './engine-sink.js';
import type { CounterStore } from '../counters/counter-store.js';
import type { KvStore } from '../kv/kv-store.js';
import type { LeaseStore } from '../leases/lease-store.js';
import type { AcquireOptions, LockStore } from '../locks/lock-store.js';
import type { Store, StoreStats } from '../store.js';
import type { WatchStore } from '../watch/watch-store.js';
import type { AcquireResult, Clock, UsageQuery } from '../types.js';
import { timerDelay } from '../timer-delay.js';
import { systemClock } from '../types.js';
import { Waiting } from '../waiting.js';
import { WatchHub } from '../watch-hub.js';

/** Settings of a LocalStore. */
export interface LocalStoreOptions {
  /** Makes changes durable; without one the store lives in memory only. */
  readonly journal?: Journal;
  readonly clock?: Clock;
  /** Expired leases revoked per batch. */
  readonly expiryBatch?: number;
  /** Time one event-loop turn may spend on expiry before yielding. */
  readonly sweepBudgetMs?: number;
  /** Watch events kept for resuming. */
  readonly watchHistory?: number;
}

/**
 * A Store over the in-memory engine, optionally journaled. Changes made in one event-loop turn
 * are committed together (GroupCommit) and no reply, hand-off or event leaves before its
 * changes are durable. One unref()ed timer drives expiry, in bounded batches.
 */
export class LocalStore implements Store {
  private readonly engine: LockEngine;
  private readonly clock: Clock;
  private readonly journal: Journal | undefined;
  private readonly expiryBatch: number;
  private readonly sweepBudgetMs: number;
  private readonly hub: WatchHub;
  private readonly commits: GroupCommit;
  /** Counting semaphores on the engine's permit pools. */
  readonly semaphores: LocalSemaphores;
  /** Read/write locks on the same pools. */
  readonly rwlocks: PoolRwLocks;
  /** All-or-nothing acquires of several locks, each one engine step. */
  readonly multiLock: LocalMultiLocks;
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = Infinity;
  private sweeping = false;
  private closed = false;

  constructor(options: LocalStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.journal = options.journal;
    this.expiryBatch = options.expiryBatch ?? 256;
    this.sweepBudgetMs = options.sweepBudgetMs ?? 8;
    this.hub = new WatchHub(options.watchHistory ?? 10_000);
    this.commits = new GroupCommit(this.journal, (events) => this.hub.publish(events));
    const commits = this.commits;
    this.engine = new LockEngine(this.clock, {
      change: (change) => commits.change(change),
      event: (event) => commits.event(event),
    });
    const snapshot = this.journal?.load();
    if (snapshot) this.engine.restore(snapshot);
    this.commits.dropEvents();
    // The events before a restart were not journaled: a resume from before it cannot be served.
    this.hub.startAt(this.engine.currentRevision);
    const steps: EngineSteps = {
      run: <T>(step: () => T) => this.run(step),
      afterStep: () => this.afterStep(),
      afterDurable: <T>(outcome: T | Error) => this.afterDurable<T>(outcome),
    };
    this.semaphores = new LocalSemaphores(this.engine, steps, this.clock);
    this.rwlocks = new PoolRwLocks(this.semaphores);
    this.multiLock = new LocalMultiLocks(this.engine, steps, this.clock);
    this.rearm();
  }

  /** The engine's counts, for metrics. */
  stats(): StoreStats & { revision: number } {
    return {
      leases: this.engine.leaseCount,
      locks: this.engine.lockCount,
      waiters: this.engine.waiterCount,
      permits: this.engine.permits.permitsHeld,
      ...this.engine.permits.counts(),
      revision: this.engine.currentRevision,
    };
  }

  readonly leases: Required<LeaseStore> = {
    grant: (options) =>
      this.run(() => this.engine.grantLease(options.ttlMs, options.owner, options.app, options.implicit)),
    keepAlive: (leaseId, app) => this.run(() => this.engine.keepAlive(leaseId, app)),
    keepAliveMany: (leaseIds, app) => this.run(() => this.engine.keepAliveMany(leaseIds, app)),
    revoke: (leaseId, app) => this.run(() => this.engine.revokeLease(leaseId, app)),
    get: (leaseId, app) => this.run(() => this.engine.getLease(leaseId, app)),
    list: (limit) => this.run(() => this.engine.listLeases(limit)),
  };

  /** Every lock op but peek and the Dapr shortcuts: describe is one in-memory read, a grant costs no I/O. */
  readonly locks: Omit<
    Required<LockStore>,
    'peek' | 'tryAcquireWithNewLease' | 'releaseAndRevoke' | 'unlockKnownGrant'
  > = {
    acquire: (options) => this.acquireOrWait(options),
    release: (key, leaseId, app) => this.run(() => this.engine.release(key, leaseId, app)),
    forceRelease: (key) => this.run(() => this.engine.forceRelease(key)),
    describe: (key) => this.run(() => this.engine.describeLock(key)),
    list: (prefix, limit) => this.run(() => this.engine.listLocks(prefix, limit)),
    queue: (key) => this.run(() => this.engine.describeQueue(key)),
    check: (key, token) => this.run(() => this.engine.checkFence(key, token)),
  };

  readonly kv: Required<KvStore> = {
    put: (options) => this.run(() => this.engine.put(options)),
    get: (key) => this.run(() => this.engine.get(key)),
    delete: (key) => this.run(() => this.engine.delete(key)),
    list: (prefix, after, limit) => this.run(() => this.engine.listKeys(prefix, after, limit)),
  };

  readonly counters: Required<CounterStore> = {
    add: (name, delta, idempotency) => this.run(() => this.engine.counterAdd(name, delta, idempotency)),
    get: (name) => this.run(() => this.engine.counterGet(name)),
    set: (name, value) => this.run(() => this.engine.counterSet(name, value)),
  };

  readonly watch: WatchStore = { subscribe: (options) => this.hub.subscribe(options) };

  /** Synchronous, so a quota check and the change it guards run in one turn, in request order. */
  usage(query: UsageQuery) {
    return this.engine.usage(query);
  }

  ping(): Promise<boolean> {
    return Promise.resolve(!this.failure && !this.closed);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.engine.failAllWaiters(new LeaseholdError('UNAVAILABLE', 'store is closing'));
    // Replies already accepted still leave, once durable: wait for the commit in flight and the rest.
    await this.commits.drain();
    this.hub.close();
    this.journal?.close();
  }

  /** Set once a commit failed: every later operation rejects with this STORE_ERROR. */
  private get failure(): LeaseholdError | undefined {
    return this.commits.failure;
  }

  /** Runs one engine step; resolves once what it changed (and anything before it) is durable. */
  private run<T>(step: () => T): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new LeaseholdError('UNAVAILABLE', 'store is closed'));
    let value: T;
    try {
      value = step();
    } catch (error) {
      this.afterStep();
      return Promise.reject(error instanceof LeaseholdError ? error : storeError('operation', error));
    }
    this.afterStep();
    if (!this.commits.pending) return Promise.resolve(value);
    return new Promise<T>((resolve, reject) => {
      this.commits.afterDurable(() => (this.failure ? reject(this.failure) : resolve(value)));
    });
  }

  private acquireOrWait(options: AcquireOptions): Promise<AcquireResult> {
    const waitMs = options.waitMs ?? 0;
    let waitFor: Promise<AcquireResult> | undefined;
    const immediate = this.run(() => {
      const result = this.engine.tryAcquire(options.key, options.leaseId, options.app, options.maxHoldMs);
      if (result.acquired || waitMs <= 0 || options.signal?.aborted) return result;
      waitFor = this.wait(options, waitMs);
      return undefined;
    });
    return immediate.then((result) => result ?? waitFor!);
  }

  private wait(options: AcquireOptions, waitMs: number): Promise<AcquireResult> {
    const wait = new Waiting<AcquireResult>();
    const waiter: LockWaiter = {
      key: options.key,
      leaseId: options.leaseId,
      app: options.app,
      maxHoldMs: options.maxHoldMs,
      since: this.clock.wallNow(),
      // A grant is released to the waiter only once it is durable, and never if its commit failed.
      settle: (outcome) => void wait.settle(this.afterDurable<AcquireResult>(outcome)),
    };
    this.engine.enqueue(waiter);
    this.afterStep();
    // A grant that won the race with the deadline or abort already took the waiter out of the queue.
    const onGiveUp = () => {
      if (!this.engine.cancelWaiter(waiter)) return;
      this.afterStep();
      const holder = this.engine.holder(options.key);
      wait.settle(holder ? { acquired: false, holder } : { acquired: false });
    };
    wait.arm({ waitMs, signal: options.signal, onGiveUp });
    return wait.promise;
  }

  /** An engine outcome, once the changes before it are durable (or the store's failure). */
  private afterDurable<T>(outcome: T | Error): Promise<T> {
    return new Promise((resolve, reject) => {
      this.commits.afterDurable(() => {
        if (outcome instanceof Error) reject(outcome);
        else if (this.failure) reject(this.failure);
        else resolve(outcome);
      });
    });
  }

  private afterStep(): void {
    this.commits.afterStep();
    this.rearm();
  }

  /** Keeps the one expiry timer armed for the earliest deadline. */
  private rearm(): void {
    if (this.closed || this.sweeping) return;
    const next = this.engine.nextDeadline();
    if (next === undefined || next >= this.timerDeadline) return;
    clearTimeout(this.timer);
    this.timerDeadline = next;
    this.timer = setTimeout(() => this.sweep(), timerDelay(next - this.clock.now()));
    this.timer.unref();
  }

  /**
   * Expires what is due in bounded batches: batches run until a small time budget is spent,
   * then the sweep yields to the event loop and resumes on the next turn.
   */
  private sweep(): void {
    this.timer = undefined;
    this.timerDeadline = Infinity;
    if (this.closed || this.failure) return;
    const started = performance.now();
    let more = false;
    do {
      more = this.engine.expireDue(this.expiryBatch) >= this.expiryBatch;
    } while (more && performance.now() - started < this.sweepBudgetMs);
    this.sweeping = more;
    this.afterStep();
    if (more) {
      setImmediate(() => this.sweep());
      return;
    }
    this.rearm();
  }
}
