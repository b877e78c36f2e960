import { LeaseLostError } from './errors.js';
import { LeaseWatchdog } from './lease-watchdog.js';
import type { WatchEntry, WatchedLease } from './lease-watchdog.js';
import type { CallLease, RenewableLease, Transport } from './transport.js';

/** How a Lease judges its own validity. */
export interface LeaseTiming {
  /** Fraction of the TTL assumed lost to clock drift; default 0.01. */
  readonly driftFactor?: number;
  /** Safety margin subtracted from the validity deadline; default 250 ms, at most 10% of the TTL. */
  readonly marginMs?: number;
}

/** Options of a Lease beyond the server's reply. */
export interface LeaseSettings extends LeaseTiming {
  readonly owner?: string | undefined;
  /** Stops renewing this long after the grant, so the lease lapses (maxHoldMs). */
  readonly renewForMs?: number | undefined;
  readonly onLost?: ((error: LeaseLostError) => void) | undefined;
  /** @internal The client's live leases: the lease joins it now and leaves it when lost or revoked. */
  readonly live?: Set<Lease> | undefined;
  /** @internal The client's one watchdog over every lease's validity deadline. */
  readonly watchdog?: LeaseWatchdog | undefined;
}

type State = 'live' | 'lost' | 'revoked';
type LossListener = (error: LeaseLostError) => void;

/**
 * A granted lease that keeps itself alive. It trusts itself only until
 * `sentAt + ttlMs × (1 − drift) − margin` of the last acknowledged keep-alive; past that it
 * aborts `signal` with a LeaseLostError, before the server could give its locks to anyone else.
 */
export class Lease implements RenewableLease, CallLease, WatchedLease {
  readonly id: string;
  readonly ttlMs: number;
  readonly owner: string | undefined;
  // Made on first use: a client may hold 100,000 leases, and most never need a signal or a listener.
  private controller: AbortController | undefined;
  // One listener is kept bare: a stream call listens only while in flight, with no Set per call.
  private listeners: LossListener | Set<LossListener> | undefined;
  private lostError: LeaseLostError | undefined;
  private readonly driftFactor: number;
  private readonly marginMs: number;
  private state: State = 'live';
  private deadline = -Infinity;
  private renewUntil = Infinity;
  private readonly watchdog: LeaseWatchdog;
  private readonly watchEntry: WatchEntry;
  private readonly liveSet: Set<Lease> | undefined;

  constructor(
    private readonly transport: Transport,
    granted: { id: string; ttlMs: number },
    sentAtMs: number,
    settings: LeaseSettings = {},
  ) {
    this.id = granted.id;
    this.ttlMs = granted.ttlMs;
    this.owner = settings.owner;
    this.driftFactor = settings.driftFactor ?? 0.01;
    this.marginMs = Math.min(settings.marginMs ?? 250, this.ttlMs * 0.1);
    if (settings.onLost) this.onLost(settings.onLost);
    if (settings.renewForMs !== undefined) this.renewUntil = sentAtMs + settings.renewForMs;
    this.liveSet = settings.live;
    this.watchdog = settings.watchdog ?? new LeaseWatchdog();
    this.watchEntry = LeaseWatchdog.entryFor(this);
    this.liveSet?.add(this);
    this.acknowledge(sentAtMs, this.ttlMs);
    transport.renewer.add(this);
  }

  /** Aborted with a LeaseLostError when the lease is lost. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.lostError) this.controller.abort(this.lostError);
    }
    return this.controller.signal;
  }

  /** @internal Why the lease was lost, once it is (the reason `signal` aborts with). */
  get lostReason(): LeaseLostError | undefined {
    return this.lostError;
  }

  /** True once the lease is lost. */
  get lost(): boolean {
    return this.state === 'lost';
  }

  /** True until the lease is lost or revoked. */
  get live(): boolean {
    return this.state === 'live';
  }

  /** How much longer the SDK can prove the lease alive, in ms. */
  get validForMs(): number {
    return this.state === 'live' ? Math.max(0, this.deadline - performance.now()) : 0;
  }

  /** Calls `listener` once if the lease is lost; returns the unsubscribe. */
  onLost(listener: LossListener): () => void {
    this.addLossListener(listener);
    return () => this.removeLossListener(listener);
  }

  /** @internal As `onLost`, without making an unsubscribe. */
  addLossListener(listener: LossListener): void {
    const current = this.listeners;
    if (current === undefined) this.listeners = listener;
    else if (current instanceof Set) current.add(listener);
    else if (current !== listener) this.listeners = new Set([current, listener]);
  }

  /** @internal Undoes `addLossListener`. */
  removeLossListener(listener: LossListener): void {
    const current = this.listeners;
    if (current === listener) this.listeners = undefined;
    else if (current instanceof Set && current.delete(listener) && current.size <= 1) {
      // Back to a bare listener: an `onLost` plus one call in flight would otherwise leave each
      // lease a Set (≈ 200 bytes with its table) for life, 20 MiB per 100,000 leases.
      const [remaining] = current;
      this.listeners = remaining;
    }
  }

  /** Stops automatic renewal `ms` from now: the lease then lapses and is reported lost. */
  stopRenewingAfter(ms: number): void {
    this.renewUntil = Math.min(this.renewUntil, performance.now() + ms);
  }

  /** Sends one keep-alive now (automatic renewal does this for you). */
  async keepAlive(): Promise<void> {
    const sentAt = performance.now();
    try {
      const reply = await this.transport.call<{ ttlMs: number }>('leases.keepAlive', { leaseId: this.id });
      this.acknowledge(sentAt, reply.ttlMs);
    } catch (error) {
      if ((error as { errorCode?: unknown }).errorCode === 'LEASE_NOT_FOUND') {
        this.markLost('the server no longer knows it', error);
      }
      throw error;
    }
  }

  /** Waits for any keep-alive in flight for this lease. */
  settled(): Promise<void> {
    return this.transport.renewer.settled(this);
  }

  /**
   * Ends the lease, releasing everything on it. Idempotent; true if this call ended it.
   * `timeoutMs` bounds the wait for an answer (ConnectionError past it).
   */
  async revoke(options: { timeoutMs?: number } = {}): Promise<boolean> {
    if (this.state === 'live') this.state = 'revoked';
    this.liveSet?.delete(this);
    await this.settled();
    this.stop();
    const reply = await this.transport.call<{ revoked: boolean }>(
      'leases.revoke',
      { leaseId: this.id },
      options,
    );
    return reply.revoked;
  }

  /** `await using lease = ...` revokes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.revoke();
  }

  /** @internal */
  wantsRenewal(): boolean {
    return this.state === 'live' && performance.now() < this.renewUntil;
  }

  /** @internal A keep-alive sent at `sentAtMs` was acknowledged with `ttlMs`. */
  acknowledge(sentAtMs: number, ttlMs: number): void {
    if (this.state !== 'live') return;
    const validUntil = sentAtMs + ttlMs * (1 - this.driftFactor) - this.marginMs;
    if (validUntil > this.deadline) this.deadline = validUntil;
    this.watchdog.watch(this.watchEntry, this.deadline);
  }

  /** @internal The lease is gone or can no longer be proven alive. */
  markLost(reason: string, cause?: unknown): void {
    if (this.state !== 'live') return;
    this.state = 'lost';
    this.liveSet?.delete(this);
    this.stop();
    const error = new LeaseLostError(this.id, reason, cause === undefined ? undefined : { cause });
    this.lostError = error;
    this.controller?.abort(error);
    const current = this.listeners;
    this.listeners = undefined;
    const listeners = current === undefined ? [] : current instanceof Set ? current : [current];
    for (const listener of listeners) {
      try {
        listener(error);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  /** @internal The watchdog's look at `nowMs`: lost past the deadline, else when to look again. */
  recheck(nowMs: number): number | undefined {
    if (this.state !== 'live') return undefined;
    if (nowMs < this.deadline) return this.deadline;
    this.markLost('no keep-alive was acknowledged before its validity deadline');
    return undefined;
  }

  private stop(): void {
    this.watchdog.unwatch(this.watchEntry);
    this.transport.renewer.remove(this);
  }
}
