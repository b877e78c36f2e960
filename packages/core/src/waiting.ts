import { atDeadline } from './timer-delay.js';

/** Why a wait gave up before it was settled. */
export type GiveUpReason = 'timeout' | 'abort';

/** How long a wait lasts and what the store does when it gives up. */
export interface WaitingOptions {
  /** The wait's length; its deadline is this far from when the wait is armed. */
  readonly waitMs: number;
  /** Aborting it gives up the wait; an already-aborted signal gives up at once. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Runs at most once, at the deadline or on abort, whichever comes first, and never after the
   * wait settled. The store leaves its queue here and settles (at once or later), or does nothing
   * when a grant already won the race and will settle the wait itself.
   */
  onGiveUp(reason: GiveUpReason): void;
  /** The clock the deadline is read on: monotonic (performance.now) unless a test injects one. */
  readonly now?: () => number;
}

/**
 * One waiter's mechanics, the same in every store: a settle-once promise, a deadline timer that
 * is unref()ed (so a waiter never keeps the process alive) and an abort listener, both removed
 * the moment the wait settles or gives up. The store keeps its queue; this keeps the boilerplate.
 */
export class Waiting<T> {
  /** Settles exactly once, with what the first settle() passed. */
  readonly promise: Promise<T>;
  private resolve!: (value: T | PromiseLike<T>) => void;
  private reject!: (error: unknown) => void;
  private done = false;
  private disarm: () => void = () => undefined;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** True once settle() was called (its outcome may still be on its way). */
  get settled(): boolean {
    return this.done;
  }

  /**
   * Starts the deadline and listens for abort. Split from the constructor so a store can register
   * a waiter (and take an early grant) before it knows the wait is needed; a no-op once settled.
   */
  arm(options: WaitingOptions): this {
    if (this.done) return this;
    this.disarm();
    const now = options.now ?? (() => performance.now());
    const { signal } = options;
    let stopTimer = (): void => undefined;
    const giveUp = (reason: GiveUpReason): void => {
      this.disarm();
      if (!this.done) options.onGiveUp(reason);
    };
    const onAbort = (): void => giveUp('abort');
    this.disarm = () => {
      stopTimer();
      signal?.removeEventListener('abort', onAbort);
      this.disarm = () => undefined;
    };
    if (signal?.aborted) {
      giveUp('abort');
      return this;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    stopTimer = atDeadline(now() + options.waitMs, () => giveUp('timeout'), now);
    return this;
  }

  /**
   * Settles the wait: an Error rejects, a value or a promise of one resolves. Only the first call
   * counts; it stops the deadline and the abort listener at once. Returns whether it counted.
   */
  settle(outcome: T | Error | PromiseLike<T>): boolean {
    if (this.done) return false;
    this.done = true;
    this.disarm();
    if (outcome instanceof Error) this.reject(outcome);
    else this.resolve(outcome);
    return true;
  }
}

/** A Waiting armed at once: the usual case, when nothing can settle it before the wait begins. */
export function waitFor<T>(options: WaitingOptions): Waiting<T> {
  return new Waiting<T>().arm(options);
}
