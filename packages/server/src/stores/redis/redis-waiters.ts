import type { Redis } from 'ioredis';
import type { AcquireResult, ErrorCode } from '@leasehold/core';
import { atDeadline, LeaseholdError, storeError, Waiting } from '@leasehold/core';

/** What the waiters need from Redis: the hand-off and cancel scripts, and how a grant reads. */
export interface WaiterBackend<R> {
  /** Re-runs the hand-off for `key`; resolves the holder's PTTL afterwards (-2 free, -1 no TTL). */
  handoff(key: string): Promise<number>;
  /** Takes a waiter out of the queue, undoing a grant it never saw; resolves what its acquire answers. */
  cancel(key: string, waiterId: string): Promise<R>;
  /** 0 while queued, -1 when the waiter is gone, else its grant as a grant message carries it. */
  status(key: string, waiterId: string): Promise<string | number>;
  /** The result a grant message's token field stands for. */
  granted(token: string): R;
}

interface Pending<R> {
  readonly key: string;
  readonly wait: Waiting<R>;
}

const RETRY_MS = 250;

/**
 * This server's queued acquires (of locks, or of permits: `R` is the acquire's result). A hand-off
 * script grants the head waiter inside Redis and publishes `g <waiterId> <token> <key>` (`l
 * <waiterId>` when its lease ended, `e <waiterId> <code> <field> <message>` when it cannot have a
 * grant) on this server's channel. Expiry needs no polling: per waited-on key one unref()ed timer
 * fires at the holder's deadline (its PTTL) and re-runs the hand-off, which re-arms at the next one.
 */
export class RedisWaiters<R = AcquireResult> {
  private readonly pending = new Map<string, Pending<R>>();
  private readonly keyTimers = new Map<string, { cancel: () => void; at: number }>();
  private closed = false;

  constructor(private readonly backend: WaiterBackend<R>) {}

  /** Registers a waiter before its enqueue script runs, so an early grant message is not lost. */
  register(
    waiterId: string,
    key: string,
  ): {
    wait(waitMs: number, pttl: number, signal?: AbortSignal): Promise<R>;
    discard(): void;
  } {
    const entry: Pending<R> = { key, wait: new Waiting<R>() };
    this.pending.set(waiterId, entry);
    return {
      // Never armed and nobody reads it (the acquire answered already): forgetting it is enough.
      discard: () => void this.pending.delete(waiterId),
      wait: (waitMs, pttl, signal) => {
        if (entry.wait.settled) return entry.wait.promise;
        entry.wait.arm({ waitMs, signal, onGiveUp: () => this.refuse(waiterId, entry) });
        this.armKey(key, pttl);
        return entry.wait.promise;
      },
    };
  }

  /** Handles one message from this server's channel. */
  onMessage(message: string): void {
    const [kind, waiterId = '', token = '', ...rest] = message.split(' ');
    const entry = this.pending.get(waiterId);
    if (kind === 'g') {
      if (entry && !entry.wait.settled) return this.settle(waiterId, entry, this.backend.granted(token));
      // A grant nobody is waiting for any more (a timed-out reply, a restart): pass it on.
      void this.backend.cancel(rest.join(' '), waiterId).catch(() => undefined);
    } else if (entry && !entry.wait.settled) {
      if (kind === 'l') {
        const error = new LeaseholdError('LEASE_NOT_FOUND', 'leaseId: lease ended while waiting');
        this.settle(waiterId, entry, error);
      } else if (kind === 'e') {
        const [field = '', ...text] = rest;
        const error = new LeaseholdError(token as ErrorCode, text.join(' '), { field });
        this.settle(waiterId, entry, error);
      }
    }
  }

  /**
   * After the subscriber reconnects: grant messages published while it was away are lost, so ask
   * Redis how each waiter stands, then re-run each key's hand-off to re-arm its timer.
   */
  async recheck(): Promise<void> {
    const open = [...this.pending].filter(([, e]) => !e.wait.settled);
    await Promise.all(
      open.map(async ([waiterId, entry]) => {
        const status = String(await this.backend.status(entry.key, waiterId).catch(() => 0));
        if (entry.wait.settled || status === '0') return;
        if (status === '-1') this.refuse(waiterId, entry);
        else this.settle(waiterId, entry, this.backend.granted(status));
      }),
    );
    for (const key of new Set(open.map(([, e]) => e.key))) void this.fire(key);
  }

  /** Takes these waiters' messages from `channel` on `subscriber`; re-checks them after each reconnect. */
  listen(subscriber: Redis, channel: string): void {
    subscriber.on('ready', () => void this.recheck());
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.onMessage(message);
    });
  }

  /** Fails every waiter and takes each out of Redis with `cancel`, so no grant goes to a server that has gone. */
  async close(cancel: (key: string, waiterId: string) => Promise<unknown>): Promise<void> {
    const open = this.failAll(new LeaseholdError('UNAVAILABLE', 'store is closing'));
    await Promise.allSettled(open.map((w) => cancel(w.key, w.waiterId)));
  }

  /** Fails every waiter and stops every timer, as on close; returns the waits to cancel in Redis. */
  private failAll(error: LeaseholdError): { key: string; waiterId: string }[] {
    this.closed = true;
    for (const { cancel } of this.keyTimers.values()) cancel();
    this.keyTimers.clear();
    const open = [...this.pending].filter(([, e]) => !e.wait.settled);
    for (const [id, entry] of open) this.settle(id, entry, error);
    return open.map(([waiterId, entry]) => ({ key: entry.key, waiterId }));
  }

  private settle(waiterId: string, entry: Pending<R>, outcome: R | Error): void {
    entry.wait.settle(outcome);
    this.pending.delete(waiterId);
  }

  /** Settles at once (no grant may win any more) and answers once Redis took the waiter out. */
  private refuse(waiterId: string, entry: Pending<R>): void {
    const cancelled = this.backend
      .cancel(entry.key, waiterId)
      .catch((error: unknown) => Promise.reject(storeError('acquire', error)));
    entry.wait.settle(cancelled);
    // Kept until then, so a grant published meanwhile is recognised and passed on.
    const forget = () => void this.pending.delete(waiterId);
    cancelled.then(forget, forget);
  }

  private hasWaiters(key: string): boolean {
    for (const entry of this.pending.values()) if (entry.key === key && !entry.wait.settled) return true;
    return false;
  }

  /** Arms the key's timer at the holder's deadline; keeps an earlier one (it re-arms itself). */
  private armKey(key: string, pttl: number): void {
    if (this.closed || pttl < 0) return;
    const at = Date.now() + pttl + 1;
    const current = this.keyTimers.get(key);
    if (current && current.at <= at) return;
    current?.cancel();
    this.keyTimers.set(key, { cancel: atDeadline(at, () => void this.fire(key)), at });
  }

  private async fire(key: string): Promise<void> {
    this.keyTimers.delete(key);
    if (this.closed || !this.hasWaiters(key)) return;
    let pttl: number;
    try {
      pttl = await this.backend.handoff(key);
    } catch {
      pttl = RETRY_MS; // Redis unreachable: try again shortly; each waiter still ends at its waitMs.
    }
    if (this.hasWaiters(key)) this.armKey(key, pttl);
  }
}
