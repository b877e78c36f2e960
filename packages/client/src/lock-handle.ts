import type { Lease } from './lease.js';
import { ReleaseOnce } from './release-once.js';
import { NO_OPTIONS } from './transport.js';
import type { Transport } from './transport.js';

/**
 * Who holds a lock, as far as a contender may know. A holder of another app (on a shared key
 * space) shows its owner at most: its lease id and token are the holding app's to know.
 */
export interface LockHolder {
  readonly leaseId?: string;
  readonly owner?: string;
  readonly fencingToken?: number;
}

/** A holder in words, for messages: `lease 9f2c…, token 7`, `owner worker-1`, or ''. */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return '';
  const parts = [
    holder.leaseId === undefined ? undefined : `lease ${holder.leaseId}`,
    holder.owner === undefined ? undefined : `owner ${holder.owner}`,
    holder.fencingToken === undefined ? undefined : `token ${holder.fencingToken}`,
  ].filter((part) => part !== undefined);
  return parts.join(', ');
}

/** The outcome of an acquire as the server sends it. */
export type AcquireReply =
  | { readonly acquired: true; readonly fencingToken: number }
  | { readonly acquired: false; readonly holder?: LockHolder };

/** A lock acquired (or not) on a lease. `await using` releases it at the end of the block. */
export class LockHandle {
  readonly name: string;
  readonly lease: Lease;
  readonly acquired: boolean;
  /** The grant's fencing token; undefined when not acquired. */
  readonly fencingToken: number | undefined;
  /** The holder when not acquired, if the server said. */
  readonly holder: LockHolder | undefined;
  /** How many times the wait was sent again after the stream reconnected. */
  readonly reentered: number;
  private readonly released = new ReleaseOnce();

  constructor(
    private readonly transport: Transport,
    name: string,
    lease: Lease,
    reply: AcquireReply,
    reentered = 0,
  ) {
    this.name = name;
    this.lease = lease;
    this.acquired = reply.acquired;
    this.fencingToken = reply.acquired ? reply.fencingToken : undefined;
    this.holder = reply.acquired ? undefined : reply.holder;
    this.reentered = reentered;
  }

  /**
   * Lets the lock go; idempotent. Resolves with `released`, `not_held` or `held_by_other`;
   * `timeoutMs` bounds the wait for an answer (ConnectionError past it).
   */
  release(options: { timeoutMs?: number } = NO_OPTIONS): Promise<string> {
    if (!this.acquired) return Promise.resolve('not_held');
    return this.released.run(() =>
      this.transport
        .call<{ status: string }>('locks.release', { name: this.name, leaseId: this.lease.id }, options)
        .then((reply) => reply.status),
    );
  }

  /** `await using lock = ...` releases the lock at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
