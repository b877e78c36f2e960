import { LeaseNotFoundError } from './errors.js';
import type { RenewableLease, Renewer } from './transport.js';

/** Sends one keep-alive for a lease and resolves with the acknowledged TTL. */
export type SendKeepAlive = (leaseId: string, timeoutMs: number) => Promise<{ ttlMs: number }>;

interface Entry {
  timer: NodeJS.Timeout | undefined;
  inFlight: Promise<void> | undefined;
}

/**
 * One unref()ed timer per lease, firing at about a third of its TTL; a keep-alive is never sent
 * while the previous one is in flight. Failures retry sooner until the lease's own watchdog
 * decides it is lost.
 */
export class TimerRenewer implements Renewer {
  private readonly entries = new Map<RenewableLease, Entry>();

  constructor(private readonly send: SendKeepAlive) {}

  add(lease: RenewableLease): void {
    if (this.entries.has(lease)) return;
    const entry: Entry = { timer: undefined, inFlight: undefined };
    this.entries.set(lease, entry);
    this.schedule(lease, entry, lease.ttlMs / 3);
  }

  remove(lease: RenewableLease): void {
    const entry = this.entries.get(lease);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.entries.delete(lease);
  }

  async settled(lease: RenewableLease): Promise<void> {
    await this.entries.get(lease)?.inFlight;
  }

  private schedule(lease: RenewableLease, entry: Entry, delayMs: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.fire(lease, entry), Math.max(1, Math.round(delayMs)));
    entry.timer.unref();
  }

  private fire(lease: RenewableLease, entry: Entry): void {
    if (this.entries.get(lease) !== entry || entry.inFlight) return;
    if (!lease.wantsRenewal()) {
      this.remove(lease);
      return;
    }
    const interval = lease.ttlMs / 3;
    const sentAt = performance.now();
    entry.inFlight = this.send(lease.id, Math.ceil(interval))
      .then(
        ({ ttlMs }) => {
          lease.acknowledge(sentAt, ttlMs);
          if (this.entries.get(lease) === entry) this.schedule(lease, entry, interval);
        },
        (error: unknown) => {
          if (error instanceof LeaseNotFoundError) {
            this.remove(lease);
            lease.markLost('the server no longer knows it', error);
            return;
          }
          if (this.entries.get(lease) === entry) this.schedule(lease, entry, Math.min(interval / 3, 1_000));
        },
      )
      .finally(() => {
        entry.inFlight = undefined;
      });
  }
}
