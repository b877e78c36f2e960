import type { Redis } from 'ioredis';
import type { AcquireResult, ErrorCode } from '@leasehold/core';
import { atDeadline, LeaseholdError, storeError, Waiting } from '@leasehold/core';

/**
 * What the waiters of one kind need from Redis (`R` is the acquire's result: a lock's, a permit
 * grant's or a multi-lock's). A single waiter has one key; a composite (multi-lock) waiter has one
 * per queue it sits in.
 */
export interface WaiterBackend<R> {
  /** Re-runs the hand-off for `key`; resolves when to look again (ms; below 0: not needed). */
  handoff(key: string): Promise<number>;
  /** Takes a waiter out of every queue it is in, undoing a grant it never saw; resolves what its acquire answers. */
  cancel(waiterId: string, keys: readonly string[]): Promise<R>;
  /** 'queued', the outcome once granted, or undefined when the waiter is gone (it is then cancelled). */
  status(waiterId: string, keys: readonly string[]): Promise<R | 'queued' | undefined>;
  /** A grant message's payload (all after `g <waiterId> `): the acquire's answer and the keys it covers. */
  granted(payload: string): { readonly outcome: R; readonly keys: readonly string[] };
}

interface Pending<R> {
  readonly keys: readonly string[];
  readonly wait: Waiting<R>;
}

/** One registered waiter: its wait, or its discard once the enqueue answered without waiting. */
export interface Registered<R> {
  /** Waits up to `waitMs`; `wake` says per key when to re-run its hand-off (ms; below 0 never). */
  wait(waitMs: number, wake: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<R>;
  discard(): void;
}

const RETRY_MS = 250;

/** How a lock waiter stands, from a status answer: its token once granted, 0 queued, -1 gone. */
export function lockWaiterStatus(status: number): AcquireResult | 'queued' | undefined {
  if (status === 0) return 'queued';
  return status > 0 ? { acquired: true, fencingToken: status } : undefined;
}

/** A lock grant message's payload, `<token> <key>` (the key may hold spaces). */
export function lockGrant(payload: string): { outcome: AcquireResult; keys: string[] } {
  const [token = ''] = payload.split(' ', 1);
  return {
    outcome: { acquired: true, fencingToken: Number(token) },
    keys: [payload.slice(token.length + 1)],
  };
}

/**
 * This server's queued acquires of one kind, told on a channel of the kind's own (a lock waiter's
 * channel would pass a permit or multi-lock grant on as unknown). A hand-off script grants a head
 * waiter inside Redis and publishes `g <waiterId> <payload>` (`l <waiterId>` when its lease ended,
 * `e <waiterId> <code> <field> <message>` when it cannot have a grant). Expiry needs no polling: per
 * waited-on key one unref()ed timer fires when Redis said to look again (the holder's PTTL) and
 * re-runs the hand-off, which re-arms at the next such time.
 */
export class RedisWaiters<R = AcquireResult> {
  private readonly pending = new Map<string, Pending<R>>();
  private readonly keyTimers = new Map<string, { cancel: () => void; at: number }>();
  private closed = false;

  constructor(private readonly backend: WaiterBackend<R>) {}

  /** Registers a waiter before its enqueue script runs, so an early grant message is not lost. */
  register(waiterId: string, keys: readonly string[]): Registered<R> {
    const entry: Pending<R> = { keys, wait: new Waiting<R>() };
    this.pending.set(waiterId, entry);
    return {
      // Never armed and nobody reads it (the acquire answered already): forgetting it is enough.
      discard: () => void this.pending.delete(waiterId),
      wait: (waitMs, wake, signal) => {
        if (entry.wait.settled) return entry.wait.promise;
        entry.wait.arm({ waitMs, signal, onGiveUp: () => this.refuse(waiterId, entry) });
        for (const [key, ms] of Object.entries(wake)) this.armKey(key, ms);
        return entry.wait.promise;
      },
    };
  }

  /** Takes these waiters' messages from `channel` on `subscriber`; re-checks them after each reconnect. */
  listen(subscriber: Redis, channel: string): void {
    subscriber.on('ready', () => void this.recheck());
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.onMessage(message);
    });
  }

  /** Handles one message from this kind's channel. */
  onMessage(message: string): void {
    const [kind = '', waiterId = ''] = message.split(' ', 2);
    const rest = message.slice(kind.length + waiterId.length + 2);
    const entry = this.pending.get(waiterId);
    if (kind === 'g') {
      const { outcome, keys } = this.backend.granted(rest);
      if (entry && !entry.wait.settled) return this.settle(waiterId, entry, outcome);
      // A grant nobody is waiting for any more (a timed-out reply, a restart): pass it on.
      void this.backend.cancel(waiterId, keys).catch(() => undefined);
    } else if (entry && !entry.wait.settled) {
      if (kind === 'l') {
        const error = new LeaseholdError('LEASE_NOT_FOUND', 'leaseId: lease ended while waiting');
        this.settle(waiterId, entry, error);
      } else if (kind === 'e') {
        const [code = '', field = ''] = rest.split(' ', 2);
        const text = rest.slice(code.length + field.length + 2);
        this.settle(waiterId, entry, new LeaseholdError(code as ErrorCode, text, { field }));
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
        const status = await this.backend.status(waiterId, entry.keys).catch(() => 'queued' as const);
        if (entry.wait.settled || status === 'queued') return;
        if (status === undefined) this.refuse(waiterId, entry);
        else this.settle(waiterId, entry, status);
      }),
    );
    for (const key of new Set(open.flatMap(([, e]) => e.keys))) void this.fire(key);
  }

  /** Fails every waiter and takes each out of Redis with `cancel`, so no grant goes to a server that has gone. */
  async close(cancel: (waiterId: string, keys: readonly string[]) => Promise<unknown>): Promise<void> {
    this.closed = true;
    for (const { cancel: stop } of this.keyTimers.values()) stop();
    this.keyTimers.clear();
    const open = [...this.pending].filter(([, e]) => !e.wait.settled);
    const error = new LeaseholdError('UNAVAILABLE', 'store is closing');
    for (const [id, entry] of open) this.settle(id, entry, error);
    await Promise.allSettled(open.map(([waiterId, entry]) => cancel(waiterId, entry.keys)));
  }

  private settle(waiterId: string, entry: Pending<R>, outcome: R | Error): void {
    entry.wait.settle(outcome);
    this.pending.delete(waiterId);
  }

  /** Settles at once (no grant may win any more) and answers once Redis took the waiter out. */
  private refuse(waiterId: string, entry: Pending<R>): void {
    const cancelled = this.backend
      .cancel(waiterId, entry.keys)
      .catch((error: unknown) => Promise.reject(storeError('acquire', error)));
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
