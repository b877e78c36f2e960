import { ExponentialBackoff } from 'cockatiel';
import type { IBackoff } from 'cockatiel';

/**
 * Delays between attempts: cockatiel's exponential backoff with decorrelated jitter, started over
 * by `reset()` after a success. The waiting itself is `sleep()`, which a close can cut short.
 */
export class Backoff {
  private readonly factory: ExponentialBackoff<unknown>;
  private current: IBackoff<unknown> | undefined;

  constructor(initialDelayMs: number, maxDelayMs: number) {
    this.factory = new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs });
  }

  /** The delay before the next attempt, in ms. */
  next(): number {
    this.current = (this.current ?? this.factory).next(undefined);
    return this.current.duration;
  }

  /** Starts again from the initial delay. */
  reset(): void {
    this.current = undefined;
  }
}

/** Resolves after `ms`, or rejects when `signal` aborts. The timer is ref()ed: a caller is waiting. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
