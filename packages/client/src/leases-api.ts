import { Lease } from './lease.js';
import { LeaseWatchdog } from './lease-watchdog.js';
import type { LeaseTiming } from './lease.js';
import type { LeaseLostError } from './errors.js';
import type { Transport } from './transport.js';
import { optionalMs, requireMs, requireString } from './validate.js';

/** Options of a grant. */
export interface GrantOptions {
  readonly ttlMs: number;
  readonly owner?: string;
  /** Stops renewing this long after the grant, so the lease lapses. */
  readonly renewForMs?: number;
  readonly onLost?: (error: LeaseLostError) => void;
}

/** A lease as the server describes it. */
export interface LeaseDescription {
  readonly id: string;
  readonly ttlMs: number;
  readonly owner?: string;
  /** The app that granted the lease, where the store knows it. */
  readonly app?: string;
  readonly remainingMs: number;
  readonly locks: readonly string[];
  readonly keys: readonly string[];
}

/** `client.leases`: grant, keep alive, revoke and inspect leases. */
export class LeasesApi {
  /** Leases granted by this client and still live. */
  readonly live = new Set<Lease>();
  /** One timer over every lease's validity deadline, rather than one per lease. */
  private readonly watchdog = new LeaseWatchdog();

  constructor(
    private readonly transport: Transport,
    private readonly timing: LeaseTiming,
  ) {}

  /** Grants a lease that keeps itself alive until revoked or lost. */
  async grant(options: GrantOptions): Promise<Lease> {
    const ttlMs = requireMs('ttlMs', options?.ttlMs, 1);
    const owner = options.owner === undefined ? undefined : requireString('owner', options.owner);
    const renewForMs = optionalMs('renewForMs', options.renewForMs, 1);
    const sentAt = performance.now();
    const granted = await this.transport.call<{ id: string; ttlMs: number }>(
      'leases.grant',
      owner === undefined ? { ttlMs } : { ttlMs, owner },
    );
    const lease = new Lease(this.transport, granted, sentAt, {
      ...this.timing,
      owner,
      renewForMs,
      onLost: options.onLost,
      live: this.live,
      watchdog: this.watchdog,
    });
    return lease;
  }

  /** Renews a lease by id once; LeaseNotFoundError when it is gone. */
  keepAlive(leaseId: string): Promise<{ id: string; ttlMs: number }> {
    return this.transport.call('leases.keepAlive', { leaseId: requireString('leaseId', leaseId) });
  }

  /** Revokes a lease (a Lease or its id); idempotent. `timeoutMs` bounds the wait for an answer. */
  async revoke(lease: Lease | string, options: { timeoutMs?: number } = {}): Promise<{ revoked: boolean }> {
    if (typeof lease !== 'string') {
      this.live.delete(lease);
      return { revoked: await lease.revoke(options) };
    }
    return this.transport.call('leases.revoke', { leaseId: requireString('leaseId', lease) }, options);
  }

  /** Describes a lease by id. */
  get(leaseId: string): Promise<LeaseDescription> {
    return this.transport.call('leases.get', { leaseId: requireString('leaseId', leaseId) });
  }

  /**
   * How long a lease has left (etcd's LeaseTimeToLive): `live: false`, not an error, once it is
   * gone, expired or another app's.
   */
  timeToLive(
    leaseId: string,
  ): Promise<{ id: string; live: true; ttlMs: number; remainingMs: number } | { id: string; live: false }> {
    return this.transport.call('leases.timeToLive', { leaseId: requireString('leaseId', leaseId) });
  }

  /** Lists live leases (admin; stores that can list them). */
  list(): Promise<LeaseDescription[]> {
    return this.transport.call('leases.list', {});
  }
}
