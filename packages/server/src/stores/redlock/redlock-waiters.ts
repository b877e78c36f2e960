import type { AcquireResult } from '@leasehold/core';
import type { LeaseholdError } from '@leasehold/core';
import { Waiting } from '@leasehold/core';

interface Waiter {
  readonly leaseId: string;
  /** This waiter's own try: its lease, app and maxHoldMs, whoever queued first. */
  readonly attempt: Attempt;
  readonly done: boolean;
  settle(outcome: AcquireResult | Error): void;
}

/** One non-waiting try, made whenever its waiter is at the head. */
export type Attempt = () => Promise<AcquireResult>;

const MIN_RETRY_MS = 15;
const JITTER_MS = 35;

/**
 * Redlock's waiting, narrower than a Redis queue: waiters are FIFO within this server only. The
 * head waiter alone retries, every 15–50 ms (jittered) or at once when this server releases the
 * key; the others wait behind it. Waiters on different servers compete by retrying.
 */
export class RedlockWaiters {
  private readonly queues = new Map<string, Waiter[]>();
  private readonly wakers = new Map<string, () => void>();

  constructor(private readonly undo: (key: string, leaseId: string) => Promise<unknown>) {}

  /** How many acquires wait on this server (Redlock's queues are per server). */
  get size(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.length;
    return total;
  }

  /** Waiters queued here for `key`. */
  count(key: string): number {
    return this.queues.get(key)?.filter((w) => !w.done).length ?? 0;
  }

  /** Queues a waiter; it is tried in turn until granted, timed out, aborted or failed. */
  wait(key: string, leaseId: string, waitMs: number, signal: AbortSignal | undefined, attempt: Attempt) {
    const wait = new Waiting<AcquireResult>();
    const waiter: Waiter = {
      leaseId,
      attempt,
      get done() {
        return wait.settled;
      },
      settle: (outcome) => {
        if (wait.settle(outcome)) this.wake(key);
      },
    };
    wait.arm({ waitMs, signal, onGiveUp: () => waiter.settle({ acquired: false }) });
    const queue = this.queues.get(key);
    if (queue) queue.push(waiter);
    else {
      this.queues.set(key, [waiter]);
      void this.serve(key);
    }
    return wait.promise;
  }

  /** Lets the head waiter of `key` try now (this server just released it). */
  wake(key: string): void {
    this.wakers.get(key)?.();
  }

  /** Lets every head waiter try now (a revoke here may have freed any lock). */
  wakeAll(): void {
    for (const key of [...this.wakers.keys()]) this.wake(key);
  }

  /** Fails the waiters of one lease (it was revoked here). */
  failLease(leaseId: string, error: LeaseholdError): void {
    for (const queue of this.queues.values())
      for (const w of queue) if (w.leaseId === leaseId) w.settle(error);
  }

  /** Fails every waiter, as on close. */
  failAll(error: LeaseholdError): void {
    for (const queue of this.queues.values()) for (const w of queue) w.settle(error);
  }

  private async serve(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    while (queue.length > 0) {
      const head = queue[0]!;
      if (head.done) {
        queue.shift();
        continue;
      }
      let outcome: AcquireResult | Error;
      try {
        outcome = await head.attempt();
      } catch (error) {
        outcome = error instanceof Error ? error : new Error(String(error));
      }
      if (!(outcome instanceof Error) && !outcome.acquired) {
        await this.pause(key);
        continue;
      }
      queue.shift();
      // A grant for a waiter that gave up meanwhile is released, never handed over.
      if (head.done && !(outcome instanceof Error)) await this.undo(key, head.leaseId).catch(() => undefined);
      head.settle(outcome);
    }
    this.queues.delete(key);
  }

  private pause(key: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, MIN_RETRY_MS + Math.random() * JITTER_MS);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(key, () => {
        this.wakers.delete(key);
        done();
      });
    });
  }
}
