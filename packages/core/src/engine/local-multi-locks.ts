import type { AcquireAllOptions, AcquireAllResult, MultiLockStore } from '../locks/multi-lock-store.js';
import { multiLockKeys } from '../locks/multi-lock-store.js';
import type { Clock } from '../types.js';
import { Waiting } from '../waiting.js';
import type { MultiWaiter } from './engine-sink.js';
import type { LockEngine } from './lock-engine.js';
import type { EngineSteps } from './local-semaphores.js';

/**
 * The embedded store's multi-locks (ADR 0025): one engine step takes every key or none, so one
 * journal batch holds the whole grant and a crash can never leave a subset in lock.sqlite.
 */
export class LocalMultiLocks implements MultiLockStore {
  constructor(
    private readonly engine: LockEngine,
    private readonly steps: EngineSteps,
    private readonly clock: Clock,
  ) {}

  acquireAll(options: AcquireAllOptions): Promise<AcquireAllResult> {
    const waitMs = options.waitMs ?? 0;
    let waitFor: Promise<AcquireAllResult> | undefined;
    const immediate = this.steps.run(() => {
      const keys = multiLockKeys(options.keys);
      const result = this.engine.tryAcquireAll(keys, options.leaseId, options.app, options.maxHoldMs);
      if (result.acquired || waitMs <= 0 || options.signal?.aborted) return result;
      waitFor = this.wait(keys, options, waitMs);
      return undefined;
    });
    return immediate.then((result) => result ?? waitFor!);
  }

  releaseAll: MultiLockStore['releaseAll'] = (keys, leaseId, app) =>
    this.steps.run(() => this.engine.releaseAll(multiLockKeys(keys), leaseId, app));

  private wait(
    keys: readonly string[],
    options: AcquireAllOptions,
    waitMs: number,
  ): Promise<AcquireAllResult> {
    const wait = new Waiting<AcquireAllResult>();
    const waiter: MultiWaiter = {
      keys,
      leaseId: options.leaseId,
      app: options.app,
      maxHoldMs: options.maxHoldMs,
      since: this.clock.wallNow(),
      // A grant is released to the waiter only once it is durable, and never if its commit failed.
      settle: (outcome) => void wait.settle(this.steps.afterDurable<AcquireAllResult>(outcome)),
    };
    this.engine.enqueueAll(waiter);
    this.steps.afterStep();
    // A grant that won the race with the deadline or abort already took the waiter out of its queues.
    const onGiveUp = () => {
      if (!this.engine.cancelWaiter(waiter)) return;
      // Leaving may have handed the locks it stood before on: commit those grants.
      this.steps.afterStep();
      wait.settle({ acquired: false, holders: this.engine.holdersOf(keys, options.leaseId) });
    };
    wait.arm({ waitMs, signal: options.signal, onGiveUp });
    return wait.promise;
  }
}
