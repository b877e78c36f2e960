import { timerDelay } from '@leasehold/core';

const BATCH = 200;
const RETRY_MS = 1_000;

/**
 * Announces expired leases without polling: one unref()ed timer per server, armed at the earliest
 * lease deadline this server knows of (its own grants and keep-alives, and the next deadline each
 * reap reports). Every server may reap; the script is idempotent. Bounded batches that re-run at
 * once keep a storm of expiries from blocking Redis.
 */
export class LeaseReaper {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;
  private closed = false;

  /** `reap` runs one batch and resolves [reaped, msUntilNextDeadline or -1]. */
  constructor(private readonly reap: (limit: number) => Promise<readonly [number, number]>) {}

  /** Makes sure a reap runs within `inMs` (a lease's TTL, or 0 for now). */
  arm(inMs: number): void {
    const at = Date.now() + inMs;
    if (this.closed || at >= this.dueAt) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    // A deadline past setTimeout's range fires early; the reap then reports it again.
    this.timer = setTimeout(() => void this.fire(), timerDelay(inMs + 1));
    this.timer.unref();
  }

  /** Stops the timer for good. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async fire(): Promise<void> {
    this.dueAt = Infinity;
    this.timer = undefined;
    try {
      const [reaped, nextInMs] = await this.reap(BATCH);
      if (reaped >= BATCH) this.arm(0);
      else if (nextInMs >= 0) this.arm(nextInMs);
    } catch {
      this.arm(RETRY_MS); // Redis unreachable: the deadlines are still in Redis; try again later.
    }
  }
}
