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
