import type { Lease } from './lease.js';
import { LockHandle } from './lock-handle.js';
import type { AcquireReply } from './lock-handle.js';
import { MultiLockHandle } from './multi-lock-handle.js';
import type { AcquireAllReply, ReleaseStatuses } from './multi-lock-handle.js';
import { readAcquire, sendAcquire } from './send-acquire.js';
import type { Transport } from './transport.js';
import { badArgument } from './errors.js';
import { compact, requireString } from './validate.js';

/** Options of tryAcquire. */
export interface TryAcquireOptions {
  readonly lease: Lease;
  /** The server releases the lock this long after the grant, even while the lease lives. */
  readonly maxHoldMs?: number;
}

/** Options of acquire. */
export interface AcquireOptions extends TryAcquireOptions {
  /** How long to wait in the lock's FIFO queue; 0 (default) never waits. */
  readonly waitMs?: number;
  /** Aborting leaves the queue and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A lock's state as the server describes it. */
export interface LockDescription {
  readonly name: string;
  readonly held: boolean;
  readonly leaseId?: string;
  readonly owner?: string;
  readonly fencingToken?: number;
  readonly acquiredAt?: number;
  readonly expiresInMs?: number;
  readonly waiters: number;
}

/** `client.locks`: acquire, release and inspect locks. */
export class LocksApi {
  constructor(private readonly transport: Transport) {}

  /** Takes the lock if it is free; never waits. */
  tryAcquire(name: string, options: TryAcquireOptions): Promise<LockHandle> {
    // A `signal` passed from JavaScript was honoured before; it still is.
    return this.send(name, options, 0);
  }

  /** Takes the lock, waiting up to `waitMs` in FIFO order. Not acquired is a value, not an error. */
  acquire(name: string, options: AcquireOptions): Promise<LockHandle> {
    return this.send(name, options, undefined);
  }

  /**
   * Takes every named lock at once, or none (ADR 0025), waiting up to `waitMs` in each lock's FIFO
   * queue: a waiting request holds nothing. Not acquired is a value, not an error.
   */
  async acquireAll(names: readonly string[], input: AcquireOptions): Promise<MultiLockHandle> {
    const unique = requireNames(names);
    const { lease, waitMs, maxHoldMs } = readAcquire(input);
    const args = compact({ names: unique, leaseId: lease.id, waitMs, maxHoldMs });
    return sendAcquire(
      this.transport,
      'locks.acquireAll',
      args,
      { lease, waitMs, signal: input.signal },
      (reply: AcquireAllReply, reentered) =>
        new MultiLockHandle(this.transport, unique, lease, reply, reentered),
    );
  }

  /** Releases each named lock a lease holds, in one step; a status per name. */
  async releaseAll(names: readonly string[], options: { lease: Lease | string }): Promise<ReleaseStatuses> {
    const leaseId = typeof options?.lease === 'string' ? options.lease : options?.lease?.id;
    const reply = await this.transport.call<{ statuses: ReleaseStatuses }>('locks.releaseAll', {
      names: requireNames(names),
      leaseId: requireString('lease', leaseId),
    });
    return reply.statuses;
  }

  /**
   * One acquire on the wire (`waitMs` fixed for a try). The lease's signal and the caller's reach
   * the transport apart: a composite signal per call cost more than the call (Node tracks each weakly).
   */
  private async send(name: string, input: AcquireOptions, fixedWaitMs: 0 | undefined): Promise<LockHandle> {
    requireString('name', name);
    const { lease, waitMs, maxHoldMs } = readAcquire(input, fixedWaitMs);
    const signal = input.signal;
    const args =
      maxHoldMs === undefined
        ? { name, leaseId: lease.id, waitMs }
        : { name, leaseId: lease.id, waitMs, maxHoldMs };
    return sendAcquire(
      this.transport,
      'locks.acquire',
      args,
      { lease, waitMs, signal },
      (reply: AcquireReply, reentered) => new LockHandle(this.transport, name, lease, reply, reentered),
    );
  }

  /** Releases a lock held by a lease. Resolves with `released`, `not_held` or `held_by_other`. */
  async release(lock: LockHandle | string, options?: { lease: Lease | string }): Promise<string> {
    if (lock instanceof LockHandle) return lock.release();
    const leaseId = typeof options?.lease === 'string' ? options.lease : options?.lease?.id;
    const reply = await this.transport.call<{ status: string }>('locks.release', {
      name: requireString('name', lock),
      leaseId: requireString('lease', leaseId),
    });
    return reply.status;
  }

  /** Describes one lock, held or not. */
  describe(name: string): Promise<LockDescription> {
    return this.transport.call('locks.describe', { name: requireString('name', name) });
  }

  /** Lists held locks whose name starts with `prefix`. */
  list(options: { prefix?: string } = {}): Promise<LockDescription[]> {
    return this.transport.call('locks.list', { prefix: options.prefix ?? '' });
  }

  /** True while `token` is the lock's current grant (a sequencer check). */
  async check(name: string, token: number): Promise<boolean> {
    const reply = await this.transport.call<{ valid: boolean }>('locks.check', {
      name: requireString('name', name),
      token,
    });
    return reply.valid;
  }
}

/** Names as a list of strings, repeats dropped; the server checks their number and each name. */
function requireNames(names: readonly string[]): string[] {
  if (!Array.isArray(names)) throw badArgument('names', 'must be an array of lock names');
  return [...new Set(names.map((name, i) => requireString(`names[${i}]`, name)))];
}
