import type {
  PermitAcquireOptions,
  PermitAcquireResult,
  SemaphoreStore,
} from '../semaphores/semaphore-store.js';
import type { Clock } from '../types.js';
import { Waiting } from '../waiting.js';
import type { LockEngine } from './lock-engine.js';
import type { PoolKind, PoolWaiter } from './pool-records.js';

/** How LocalStore runs an engine step and releases what it changed only once durable. */
export interface EngineSteps {
  /** Runs one engine step; resolves once what it changed (and anything before it) is durable. */
  run<T>(step: () => T): Promise<T>;
  /** Commits and rearms after a step run outside `run`. */
  afterStep(): void;
  /** An outcome, once the changes before it are durable (or the store's failure). */
  afterDurable<T>(outcome: T | Error): Promise<T>;
}

/** The embedded store's semaphores: the engine's permit pools, waited on with core's Waiting. */
export class LocalSemaphores implements SemaphoreStore {
  constructor(
    private readonly engine: LockEngine,
    private readonly steps: EngineSteps,
    private readonly clock: Clock,
  ) {}

  /** Takes permits; `kind` is the pool's kind if this acquire makes it (PoolRwLocks passes `rwlock`). */
  acquire(options: PermitAcquireOptions & { kind?: PoolKind }): Promise<PermitAcquireResult> {
    const waitMs = options.waitMs ?? 0;
    let waitFor: Promise<PermitAcquireResult> | undefined;
    const immediate = this.steps.run(() => {
      const result = this.engine.permits.tryAcquire(options);
      if (result.acquired || waitMs <= 0 || options.signal?.aborted) return result;
      waitFor = this.wait(options, waitMs);
      return undefined;
    });
    return immediate.then((result) => result ?? waitFor!);
  }

  release: SemaphoreStore['release'] = (key, leaseId, app) =>
    this.steps.run(() => this.engine.permits.release(key, leaseId, app));

  describe: SemaphoreStore['describe'] = (key) => this.steps.run(() => this.engine.permits.describe(key));

  list: SemaphoreStore['list'] = (prefix, limit) =>
    this.steps.run(() => this.engine.permits.list(prefix, limit));

  check: SemaphoreStore['check'] = (key, token) =>
    this.steps.run(() => this.engine.permits.checkFence(key, token));

  setLimit: SemaphoreStore['setLimit'] = (key, limit, ifLimit) =>
    this.steps.run(() => this.engine.permits.setLimit(key, limit, ifLimit));

  private wait(options: PermitAcquireOptions, waitMs: number): Promise<PermitAcquireResult> {
    const wait = new Waiting<PermitAcquireResult>();
    const waiter: PoolWaiter = {
      key: options.key,
      leaseId: options.leaseId,
      app: options.app,
      permits: options.permits,
      maxHoldMs: options.maxHoldMs,
      since: this.clock.wallNow(),
      // A grant is released to the waiter only once it is durable, and never if its commit failed.
      settle: (outcome) => void wait.settle(this.steps.afterDurable<PermitAcquireResult>(outcome)),
    };
    this.engine.permits.enqueue(waiter);
    this.steps.afterStep();
    // A grant that won the race with the deadline or abort already took the waiter out of the queue.
    const onGiveUp = () => {
      if (!this.engine.permits.cancelWaiter(waiter)) return;
      this.steps.afterStep();
      wait.settle(this.engine.permits.refusal(options.key));
    };
    wait.arm({ waitMs, signal: options.signal, onGiveUp });
    return wait.promise;
  }
}
