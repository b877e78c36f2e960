import type { RenewableLease, Renewer } from './transport.js';

/** What an older server answers to its heartbeat (`ping`): every lease renewed, and the ones lost. */
export interface PingReply {
  readonly renewed: readonly { store: string; leaseId: string; ttlMs: number }[];
  readonly lost: readonly { store: string; leaseId: string; errorCode?: string }[];
}

/**
 * What the server answers to a bulk heartbeat: only the leases it found gone. Every other lease
 * the stream registered before the heartbeat arrived was renewed.
 */
export interface BulkHeartbeatReply {
  readonly lost: readonly string[];
}

/** Either heartbeat's reply. */
export type HeartbeatReply = PingReply | BulkHeartbeatReply;

/** The stream side of the heartbeat. */
export interface HeartbeatLink {
  readonly store: string;
  /** Sends one heartbeat: `heartbeat` (bulk), or `ping` to a server that predates it. */
  heartbeat(op: 'heartbeat' | 'ping', timeoutMs: number): Promise<HeartbeatReply>;
  /** Tells the server to stop renewing a lease without revoking it. */
  forget(leaseId: string): void;
}

/**
 * One heartbeat per client renews every lease registered on the stream: one unref()ed timer at
 * the smaller of `maxIntervalMs` and a third of the shortest TTL, never two pings at once.
 */
export class HeartbeatRenewer implements Renewer {
  private readonly leases = new Map<string, RenewableLease>();
  private timer: NodeJS.Timeout | undefined;
  private timerInterval = Infinity;
  private inFlight: Promise<void> | undefined;
  /** Set once the server turned the bulk heartbeat down: it predates it, so `ping` is used. */
  private legacy = false;

  constructor(
    private readonly link: HeartbeatLink,
    private readonly maxIntervalMs: number,
  ) {}

  /** Leases currently renewed, for re-registration after a reconnect. */
  registered(): RenewableLease[] {
    return [...this.leases.values()];
  }

  add(lease: RenewableLease): void {
    this.leases.set(lease.id, lease);
    this.schedule(this.intervalFor(lease.ttlMs));
  }

  remove(lease: RenewableLease): void {
    if (this.leases.get(lease.id) !== lease) return;
    this.leases.delete(lease.id);
    if (lease.wantsRenewal() === false) this.link.forget(lease.id);
    if (this.leases.size === 0) this.stop();
  }

  async settled(): Promise<void> {
    await this.inFlight;
  }

  /** Stops the heartbeat timer. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerInterval = Infinity;
  }

  /** A third of the shortest TTL, at most `maxIntervalMs`: a scan, so once per heartbeat at most. */
  private interval(): number {
    let shortest = Infinity;
    for (const lease of this.leases.values()) shortest = Math.min(shortest, lease.ttlMs);
    return this.intervalFor(shortest);
  }

  private intervalFor(ttlMs: number): number {
    return Math.max(10, Math.round(Math.min(this.maxIntervalMs, ttlMs / 3)));
  }

  /** Beats at least every `interval` ms: adding a lease costs no scan of the others. */
  private schedule(interval: number): void {
    if (this.timer && interval >= this.timerInterval) return;
    clearTimeout(this.timer);
    this.timerInterval = interval;
    this.timer = setInterval(() => this.beat(), interval);
    this.timer.unref();
  }

  private beat(): void {
    if (this.inFlight) return;
    const covered: RenewableLease[] = [];
    for (const lease of this.leases.values()) {
      if (lease.wantsRenewal()) covered.push(lease);
      else this.remove(lease);
    }
    if (this.leases.size === 0) return;
    const sentAt = performance.now();
    this.inFlight = this.send(this.timerInterval * 2)
      .then((reply) => this.apply(reply, sentAt, covered))
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  private async send(timeoutMs: number): Promise<HeartbeatReply> {
    if (this.legacy) return this.link.heartbeat('ping', timeoutMs);
    try {
      return await this.link.heartbeat('heartbeat', timeoutMs);
    } catch (error) {
      const { errorCode, message } = error as { errorCode?: string; message?: string };
      if (errorCode !== 'INVALID_ARGUMENT' || !message?.includes('unknown operation')) throw error;
      this.legacy = true;
      return this.link.heartbeat('ping', timeoutMs);
    }
  }

  private apply(reply: HeartbeatReply, sentAt: number, covered: readonly RenewableLease[]): void {
    if ('renewed' in reply) this.applyPing(reply, sentAt);
    else this.applyBulk(reply, sentAt, covered);
    if (this.leases.size === 0) this.stop();
    else {
      const interval = this.interval();
      if (interval > this.timerInterval) {
        this.stop();
        this.schedule(interval);
      }
    }
  }

  /**
   * Acknowledges only the leases registered when the heartbeat left: the server had them all by
   * the time it arrived. One added since may have been granted too late for this heartbeat.
   */
  private applyBulk(reply: BulkHeartbeatReply, sentAt: number, covered: readonly RenewableLease[]): void {
    for (const leaseId of reply.lost) this.lose(leaseId, 'LEASE_NOT_FOUND');
    for (const lease of covered) {
      if (this.leases.get(lease.id) === lease) lease.acknowledge(sentAt, lease.ttlMs);
    }
  }

  private applyPing(reply: PingReply, sentAt: number): void {
    for (const { store, leaseId, ttlMs } of reply.renewed) {
      if (store === this.link.store) this.leases.get(leaseId)?.acknowledge(sentAt, ttlMs);
    }
    for (const { store, leaseId, errorCode } of reply.lost) {
      if (store === this.link.store) this.lose(leaseId, errorCode ?? 'LEASE_NOT_FOUND');
    }
  }

  private lose(leaseId: string, errorCode: string): void {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    this.leases.delete(leaseId);
    lease.markLost(`the server no longer knows it (${errorCode})`);
  }
}
