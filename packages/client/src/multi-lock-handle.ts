import type { Lease } from './lease.js';
import type { LockHolder } from './lock-handle.js';
import { ReleaseOnce } from './release-once.js';
import { NO_OPTIONS } from './transport.js';
import type { Transport } from './transport.js';

/** The outcome of an all-or-nothing acquire as the server sends it, by lock name. */
export type AcquireAllReply =
  | { readonly acquired: true; readonly fencingTokens: Readonly<Record<string, number>> }
  | { readonly acquired: false; readonly holders: Readonly<Record<string, LockHolder>> };

/** A release status per lock name: `released`, `not_held` or `held_by_other`. */
export type ReleaseStatuses = Readonly<Record<string, string>>;

/**
 * Several locks acquired all together on a lease, or none of them. `await using` releases them all
 * at the end of the block; `signal` aborts when the lease, and with it every lock, is lost.
 */
export class MultiLockHandle {
  /** The names asked for, repeats dropped, in the order given. */
  readonly names: readonly string[];
  readonly lease: Lease;
  readonly acquired: boolean;
  /** Each lock's fencing token, by name; undefined when not acquired. */
  readonly fencingTokens: Readonly<Record<string, number>> | undefined;
  /** When not acquired: who holds the names that were held (none named if only waiters stood in the way). */
  readonly holders: Readonly<Record<string, LockHolder>> | undefined;
  /** How many times the wait was sent again after the stream reconnected. */
  readonly reentered: number;
  private readonly released = new ReleaseOnce<ReleaseStatuses>();

  constructor(
    private readonly transport: Transport,
    names: readonly string[],
    lease: Lease,
    reply: AcquireAllReply,
    reentered = 0,
  ) {
    this.names = names;
    this.lease = lease;
    this.acquired = reply.acquired;
    this.fencingTokens = reply.acquired ? reply.fencingTokens : undefined;
    this.holders = reply.acquired ? undefined : reply.holders;
    this.reentered = reentered;
  }

  /** Aborted with a LeaseLostError once the lease, and so these locks, can no longer be proven held. */
  get signal(): AbortSignal {
    return this.lease.signal;
  }

  /** Lets every lock go in one step; idempotent. Resolves with a status per name. */
  release(options: { timeoutMs?: number } = NO_OPTIONS): Promise<ReleaseStatuses> {
    if (!this.acquired) return Promise.resolve(Object.fromEntries(this.names.map((n) => [n, 'not_held'])));
    return this.released.run(() =>
      this.transport
        .call<{ statuses: ReleaseStatuses }>(
          'locks.releaseAll',
          { names: this.names, leaseId: this.lease.id },
          options,
        )
        .then((reply) => reply.statuses),
    );
  }

  /** `await using locks = ...` releases them all at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
