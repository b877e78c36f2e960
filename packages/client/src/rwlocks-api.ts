import type { Lease } from './lease.js';
import { RwLockHandle } from './rwlock-handle.js';
import type { RwLockMode, RwLockReply } from './rwlock-handle.js';
import { readAcquire, sendAcquire } from './send-acquire.js';
import type { Transport } from './transport.js';
import { badArgument } from './errors.js';
import { compact, requireString } from './validate.js';

/** Options of a read/write lock tryAcquire. */
export interface RwLockTryAcquireOptions {
  readonly lease: Lease;
  /** `read` shares with other readers; `write` holds alone. `read` under a held write downgrades it. */
  readonly mode: RwLockMode;
  /** The server releases the lock this long after the grant, even while the lease lives. */
  readonly maxHoldMs?: number;
}

/** Options of a read/write lock acquire. */
export interface RwLockAcquireOptions extends RwLockTryAcquireOptions {
  /** How long to wait in the lock's FIFO queue; 0 (default) never waits. */
  readonly waitMs?: number;
  /** Aborting leaves the queue and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One holder of a read/write lock; another app's holder shows its owner at most. */
export interface RwLockHolderDescription {
  readonly leaseId?: string;
  readonly owner?: string;
  readonly mode: RwLockMode;
  readonly fencingToken: number;
  readonly acquiredAt: number;
}

/** A read/write lock's state as the server describes it. */
export interface RwLockDescription {
  readonly name: string;
  readonly mode: RwLockMode | null;
  readonly holders: readonly RwLockHolderDescription[];
  readonly waiters: number;
}

/** `client.rwlocks`: take, release and inspect read/write locks (task-fair FIFO). */
export class RwLocksApi {
  constructor(private readonly transport: Transport) {}

  /** Takes the lock if it is free for `mode` and nobody waits; never waits. */
  tryAcquire(name: string, options: RwLockTryAcquireOptions): Promise<RwLockHandle> {
    return this.send(name, options, 0);
  }

  /** Takes the lock, waiting up to `waitMs` in FIFO order. Not acquired is a value, not an error. */
  acquire(name: string, options: RwLockAcquireOptions): Promise<RwLockHandle> {
    return this.send(name, options, undefined);
  }

  private async send(name: string, input: RwLockAcquireOptions, fixedWaitMs: 0 | undefined) {
    requireString('name', name);
    if (input?.mode !== 'read' && input?.mode !== 'write')
      throw badArgument('mode', 'must be "read" or "write"');
    const { lease, waitMs, maxHoldMs } = readAcquire(input, fixedWaitMs);
    const args = compact({ name, leaseId: lease.id, mode: input.mode, waitMs, maxHoldMs });
    return sendAcquire(
      this.transport,
      'rwlocks.acquire',
      args,
      { lease, waitMs, signal: input.signal },
      (reply: RwLockReply, reentered) => new RwLockHandle(this.transport, name, lease, reply, reentered),
    );
  }

  /** Releases a lease's grant of the lock. Resolves with `released` or `not_held`. */
  async release(lock: RwLockHandle | string, options?: { lease: Lease | string }): Promise<string> {
    if (lock instanceof RwLockHandle) return lock.release();
    const leaseId = typeof options?.lease === 'string' ? options.lease : options?.lease?.id;
    const reply = await this.transport.call<{ status: string }>('rwlocks.release', {
      name: requireString('name', lock),
      leaseId: requireString('lease', leaseId),
    });
    return reply.status;
  }

  /** Describes a read/write lock: its mode, holders and waiters (NOT_FOUND if nobody holds or awaits it). */
  describe(name: string): Promise<RwLockDescription> {
    return this.transport.call('rwlocks.describe', { name: requireString('name', name) });
  }

  /** Lists the read/write locks whose name starts with `prefix`. */
  list(options: { prefix?: string } = {}): Promise<RwLockDescription[]> {
    return this.transport.call('rwlocks.list', { prefix: options.prefix ?? '' });
  }

  /** True while `token` is a current grant of the lock (a read token never passes for a write). */
  async check(name: string, token: number): Promise<boolean> {
    const reply = await this.transport.call<{ valid: boolean }>('rwlocks.check', {
      name: requireString('name', name),
      token,
    });
    return reply.valid;
  }
}
