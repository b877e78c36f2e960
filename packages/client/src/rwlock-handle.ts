import { LockNotAcquiredError } from './errors.js';
import type { Lease } from './lease.js';
import { ReleaseOnce } from './release-once.js';
import { NO_OPTIONS } from './transport.js';
import type { Transport } from './transport.js';

/** How a read/write lock is held. */
export type RwLockMode = 'read' | 'write';

/** The outcome of a read/write lock acquire as the server sends it. */
export type RwLockReply =
  | { readonly acquired: true; readonly mode: RwLockMode; readonly fencingToken: number }
  | { readonly acquired: false; readonly mode: RwLockMode | null; readonly waiters: number };

/**
 * A read/write lock acquired (or not) on a lease. `downgrade()` turns a write into a read in one
 * step with a new token; `await using` releases at the end of the block; `signal` aborts when the
 * lease, and with it the lock, is lost.
 */
export class RwLockHandle {
  readonly name: string;
  readonly lease: Lease;
  readonly acquired: boolean;
  /** When not acquired: how the lock was held (null: free) and how many acquires waited. */
  readonly heldAs: RwLockMode | null | undefined;
  readonly waiters: number | undefined;
  /** How many times the wait was sent again after the stream reconnected. */
  readonly reentered: number;
  private granted: { mode: RwLockMode; fencingToken: number } | undefined;
  private readonly released = new ReleaseOnce();

  constructor(
    private readonly transport: Transport,
    name: string,
    lease: Lease,
    reply: RwLockReply,
    reentered = 0,
  ) {
    this.name = name;
    this.lease = lease;
    this.acquired = reply.acquired;
    this.granted = reply.acquired ? { mode: reply.mode, fencingToken: reply.fencingToken } : undefined;
    this.heldAs = reply.acquired ? undefined : reply.mode;
    this.waiters = reply.acquired ? undefined : reply.waiters;
    this.reentered = reentered;
  }

  /** The mode held; undefined when not acquired. A downgrade changes it to `read`. */
  get mode(): RwLockMode | undefined {
    return this.granted?.mode;
  }

  /** The grant's fencing token; a downgrade replaces it (the write token stops being valid). */
  get fencingToken(): number | undefined {
    return this.granted?.fencingToken;
  }

  /** Aborted with a LeaseLostError once the lease, and so this lock, can no longer be proven held. */
  get signal(): AbortSignal {
    return this.lease.signal;
  }

  /**
   * Turns a held write into a read atomically: no queued writer gets in between, readers at the
   * head of the queue join. Resolves with the new token; on a read it is the same token.
   */
  async downgrade(options: { timeoutMs?: number } = NO_OPTIONS): Promise<number> {
    if (!this.granted)
      throw new LockNotAcquiredError(this.name, `rwlock ${this.name}: not acquired, nothing to downgrade`);
    const args = { name: this.name, leaseId: this.lease.id, mode: 'read' };
    const reply = await this.transport.call<RwLockReply>('rwlocks.acquire', args, {
      ...options,
      lease: this.lease,
    });
    if (!reply.acquired) throw new LockNotAcquiredError(this.name, `rwlock ${this.name}: no longer held`);
    this.granted = { mode: reply.mode, fencingToken: reply.fencingToken };
    return reply.fencingToken;
  }

  /** Lets the lock go; idempotent. Resolves with `released` or `not_held`. */
  release(options: { timeoutMs?: number } = NO_OPTIONS): Promise<string> {
    if (!this.acquired) return Promise.resolve('not_held');
    return this.released.run(() =>
      this.transport
        .call<{ status: string }>('rwlocks.release', { name: this.name, leaseId: this.lease.id }, options)
        .then((reply) => reply.status),
    );
  }

  /** `await using lock = ...` releases the lock at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
