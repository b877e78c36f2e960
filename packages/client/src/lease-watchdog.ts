import { ExpiryHeap } from '@leasehold/core/expiry-heap';

/** A lease as the watchdog sees it. */
export interface WatchedLease {
  /** Looks at the lease at `nowMs`: reports it lost past its deadline, else returns when to look again. */
  recheck(nowMs: number): number | undefined;
}

/** A lease's place in the watchdog's heap; `deadline` and `heapIndex` belong to the heap. */
export interface WatchEntry {
  deadline: number;
  heapIndex: number;
  readonly lease: WatchedLease;
}

// setTimeout fires at once past 2^31 − 1 ms; a longer wait is taken in steps.
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * One unref()ed timer for every lease of a client, armed for the earliest validity deadline in an
 * indexed heap. A keep-alive only moves a lease's deadline later, so it does not touch the heap:
 * the lease is looked at again when its old deadline comes, and put back at its new one. A lease
 * is therefore never looked at later than its deadline, and 100,000 leases cost one timer.
 */
export class LeaseWatchdog {
  private readonly heap = new ExpiryHeap<WatchEntry>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** A new, unwatched entry for `lease`. */
  static entryFor(lease: WatchedLease): WatchEntry {
    return { deadline: 0, heapIndex: -1, lease };
  }

  /** Looks at the entry's lease at `atMs` at the latest; no-op while it is already watched. */
  watch(entry: WatchEntry, atMs: number): void {
    if (this.heap.has(entry)) return;
    this.heap.schedule(entry, atMs);
    this.arm();
  }

  /** Stops watching the entry; the timer stops with the last one. */
  unwatch(entry: WatchEntry): void {
    this.heap.remove(entry);
    if (this.heap.size === 0) this.stop();
  }

  /** Stops the timer; leases still watched are no longer looked at. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    for (const entry of this.heap.popDue(now, Infinity)) {
      const next = entry.lease.recheck(now);
      if (next !== undefined && !this.heap.has(entry)) this.heap.schedule(entry, next);
    }
    this.arm();
  }

  private arm(): void {
    const next = this.heap.peekDeadline();
    if (next === undefined || (this.timer && next >= this.timerAt)) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil(next - performance.now())));
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }
}
