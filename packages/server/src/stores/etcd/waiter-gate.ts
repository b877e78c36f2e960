/** Why a wait ended without a grant. */
export type StopReason = 'timeout' | 'abort' | 'closed';

/** A latch a waiter sleeps on: a wake before the sleep is not lost. */
export class WaiterGate {
  stopped: StopReason | undefined;
  /** The waiter's queue key was deleted by someone else (lease end, or a twin wait leaving). */
  entryGone = false;
  private pending = false;
  private resolve: (() => void) | undefined;

  /** Wakes the waiter to look again. */
  wake(): void {
    this.pending = true;
    this.resolve?.();
  }

  /** Ends the wait for `reason` (the first reason wins). */
  stop(reason: StopReason): void {
    this.stopped ??= reason;
    this.wake();
  }

  /** Sleeps until the next wake. */
  async sleep(): Promise<void> {
    if (!this.pending) await new Promise<void>((resolve) => (this.resolve = resolve));
    this.pending = false;
    this.resolve = undefined;
  }
}

const CLOSE_GRACE_MS = 2_000;

/** The waits in progress on this server, so closing the store can stop them all. */
export class WaitsInProgress {
  private readonly waits = new Map<WaiterGate, Promise<unknown>>();

  /** Runs `wait` on a new gate, tracked until it settles. */
  async run<T>(wait: (gate: WaiterGate) => Promise<T>): Promise<T> {
    const gate = new WaiterGate();
    const waiting = wait(gate);
    this.waits.set(
      gate,
      waiting.catch(() => undefined),
    );
    try {
      return await waiting;
    } finally {
      this.waits.delete(gate);
    }
  }

  /** Stops every wait (each leaves its queue, so no other server waits behind it) and awaits them briefly. */
  async close(): Promise<void> {
    for (const gate of this.waits.keys()) gate.stop('closed');
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.waits.values()),
      new Promise((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS).unref())),
    ]);
    clearTimeout(grace);
  }
}
