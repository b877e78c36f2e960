import { atDeadline, LeaseholdError, storeError, Waiting } from '@leasehold/core';

/** What the waiters of one kind (single or composite acquires) need from Redis. */
export interface WaiterBackend<T> {
  /** Re-runs the hand-off for `key`; resolves when to look again (ms; below 0: not needed). */
  handoff(key: string): Promise<number>;
  /** Takes a waiter out of every queue it is in, undoing a grant it never saw. */
  cancel(waiterId: string, keys: readonly string[]): Promise<void>;
  /** 'queued', the outcome once granted, or undefined when the waiter is gone. */
  status(waiterId: string, keys: readonly string[]): Promise<T | 'queued' | undefined>;
  /** The outcome of a wait that ended without a grant. */
  readonly none: T;
}

interface Pending<T> {
  readonly keys: readonly string[];
  readonly wait: Waiting<T>;
}

/** One registered waiter: its wait, or its discard once the enqueue answered without waiting. */
export interface Registered<T> {
  /** Waits up to `waitMs`; `wake` says per key when to re-run its hand-off (ms; below 0 never). */
  wait(waitMs: number, wake: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<T>;
  discard(): void;
}

const RETRY_MS = 250;

/**
 * This server's queued acquires of one kind. A hand-off script grants a head waiter inside Redis
 * and publishes the grant (or `l <waiterId>` when its lease ended) on this server's channel; the
 * owner of the channel passes each message here. Expiry needs no polling: per waited-on key one
 * unref()ed timer fires when Redis said to look again (the holder's PTTL) and re-runs the
 * hand-off, which re-arms at the next such time.
 */
export class RedisWaiters<T> {
  private readonly pending = new Map<string, Pending<T>>();
  private readonly keyTimers = new Map<string, { cancel: () => void; at: number }>();
  private closed = false;

  constructor(private readonly backend: WaiterBackend<T>) {}

  /** Registers a waiter before its enqueue script runs, so an early grant message is not lost. */
  register(waiterId: string, keys: readonly string[]): Registered<T> {
    const entry: Pending<T> = { keys, wait: new Waiting<T>() };
    this.pending.set(waiterId, entry);
    return {
      discard: () => {
        entry.wait.settle(this.backend.none); // nobody reads it: the acquire answered already
        this.pending.delete(waiterId);
      },
      wait: (waitMs, wake, signal) => {
        if (entry.wait.settled) return entry.wait.promise;
        entry.wait.arm({ waitMs, signal, onGiveUp: () => this.giveUp(waiterId, entry) });
        for (const [key, ms] of Object.entries(wake)) this.armKey(key, ms);
        return entry.wait.promise;
      },
    };
  }

  /** A grant for `waiterId` of `keys`: settles its wait, or passes it on when nobody waits for it any more. */
  granted(waiterId: string, keys: readonly string[], outcome: T): void {
    const entry = this.pending.get(waiterId);
    if (entry && !entry.wait.settled) return this.settle(waiterId, entry, outcome);
    // A grant nobody is waiting for any more (a timed-out reply, a restart): pass it on.
    void this.backend.cancel(waiterId, keys).catch(() => undefined);
  }

  /** The waiter's lease ended while it waited. */
  leaseEnded(waiterId: string): void {
    const entry = this.pending.get(waiterId);
    if (!entry || entry.wait.settled) return;
    this.settle(waiterId, entry, new LeaseholdError('LEASE_NOT_FOUND', 'leaseId: lease ended while waiting'));
  }

  /**
   * After the subscriber reconnects: grant messages published while it was away are lost, so ask
   * Redis how each waiter stands, then re-run each key's hand-off to re-arm its timer.
   */
  async recheck(): Promise<void> {
    const open = [...this.pending].filter(([, e]) => !e.wait.settled);
    await Promise.all(
      open.map(async ([waiterId, entry]) => {
        const status = await this.backend.status(waiterId, entry.keys).catch(() => 'queued' as const);
        if (entry.wait.settled || status === 'queued') return;
        this.settle(waiterId, entry, status ?? this.backend.none);
      }),
    );
    for (const key of new Set(open.flatMap(([, e]) => e.keys))) void this.fire(key);
  }

  /** Fails every waiter and stops every timer, as on close; returns the waits to cancel in Redis. */
  failAll(error: LeaseholdError): { keys: readonly string[]; waiterId: string }[] {
    this.closed = true;
    for (const { cancel } of this.keyTimers.values()) cancel();
    this.keyTimers.clear();
    const open = [...this.pending].filter(([, e]) => !e.wait.settled);
    for (const [id, entry] of open) this.settle(id, entry, error);
    return open.map(([waiterId, entry]) => ({ keys: entry.keys, waiterId }));
  }

  private settle(waiterId: string, entry: Pending<T>, outcome: T | Error): void {
    entry.wait.settle(outcome);
    this.pending.delete(waiterId);
  }

  /** Settles at once (no grant may win any more) and answers once Redis took the waiter out. */
  private giveUp(waiterId: string, entry: Pending<T>): void {
    const cancelled = this.backend.cancel(waiterId, entry.keys).then(
      () => this.backend.none,
      (error: unknown) => Promise.reject(storeError('acquire', error)),
    );
    entry.wait.settle(cancelled);
    // Kept until then, so a grant published meanwhile is recognised and passed on.
    const forget = () => void this.pending.delete(waiterId);
    cancelled.then(forget, forget);
  }

  private hasWaiters(key: string): boolean {
    for (const entry of this.pending.values()) {
      if (!entry.wait.settled && entry.keys.includes(key)) return true;
    }
    return false;
  }

  /** Arms the key's timer `ms` from now; keeps an earlier one (it re-arms itself). */
  private armKey(key: string, ms: number): void {
    if (this.closed || ms < 0) return;
    const at = Date.now() + ms + 1;
    const current = this.keyTimers.get(key);
    if (current && current.at <= at) return;
    current?.cancel();
    this.keyTimers.set(key, { cancel: atDeadline(at, () => void this.fire(key)), at });
  }

  private async fire(key: string): Promise<void> {
    this.keyTimers.delete(key);
    if (this.closed || !this.hasWaiters(key)) return;
    let ms: number;
    try {
      ms = await this.backend.handoff(key);
    } catch {
      ms = RETRY_MS; // Redis unreachable: try again shortly; each waiter still ends at its waitMs.
    }
    if (this.hasWaiters(key)) this.armKey(key, ms);
  }
}
