import type { Lease } from './lease.js';
import { ReleaseOnce } from './release-once.js';
import { NO_OPTIONS } from './transport.js';
import type { Transport } from './transport.js';

/** The outcome of a permit acquire as the server sends it. */
export type PermitReply =
  | { readonly acquired: true; readonly fencingToken: number; readonly permits: number }
  | { readonly acquired: false; readonly available: number; readonly waiters: number };

/**
 * Permits of a semaphore acquired (or not) on a lease. `await using` releases them at the end of
 * the block; `signal` aborts when the lease is lost, and with it the permits.
 */
export class PermitHandle {
  readonly name: string;
  readonly lease: Lease;
  readonly acquired: boolean;
  /** The grant's fencing token; undefined when not acquired. Other holders' tokens may be lower. */
  readonly fencingToken: number | undefined;
  /** The permits granted; 0 when not acquired. */
  readonly permits: number;
  /** When not acquired: the permits free at the time, and how many acquires waited. */
  readonly available: number | undefined;
  readonly waiters: number | undefined;
  /** How many times the wait was sent again after the stream reconnected. */
  readonly reentered: number;
  private readonly released = new ReleaseOnce();

  constructor(
    private readonly transport: Transport,
    name: string,
    lease: Lease,
    reply: PermitReply,
    reentered = 0,
  ) {
    this.name = name;
    this.lease = lease;
    this.acquired = reply.acquired;
    this.fencingToken = reply.acquired ? reply.fencingToken : undefined;
    this.permits = reply.acquired ? reply.permits : 0;
    this.available = reply.acquired ? undefined : reply.available;
    this.waiters = reply.acquired ? undefined : reply.waiters;
    this.reentered = reentered;
  }

  /** Aborted with a LeaseLostError once the lease, and so these permits, can no longer be proven held. */
  get signal(): AbortSignal {
    return this.lease.signal;
  }

  /** Lets the permits go; idempotent. Resolves with `released` or `not_held`. */
  release(options: { timeoutMs?: number } = NO_OPTIONS): Promise<string> {
    if (!this.acquired) return Promise.resolve('not_held');
    return this.released.run(() =>
      this.transport
        .call<{ status: string }>('semaphores.release', { name: this.name, leaseId: this.lease.id }, options)
        .then((reply) => reply.status),
    );
  }

  /** `await using permit = ...` releases the permits at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
