import type { Lease } from './lease.js';
import { LockHandle } from './lock-handle.js';
import type { AcquireReply } from './lock-handle.js';
import { MultiLockHandle } from './multi-lock-handle.js';
import type { AcquireAllReply, ReleaseStatuses } from './multi-lock-handle.js';
import { abortReason } from './transport.js';
import type { CallLease, Transport } from './transport.js';
import { badArgument } from './errors.js';
import { compact, optionalMs, requireLease, requireString } from './validate.js';

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
    const lease = requireLease('lease', input?.lease);
    const waitMs = optionalMs('waitMs', input.waitMs) ?? 0;
    const maxHoldMs = optionalMs('maxHoldMs', input.maxHoldMs, 1);
    if (lease.lostReason) throw lease.lostReason;
    input.signal?.throwIfAborted();
    const args = compact({ names: unique, leaseId: lease.id, waitMs, maxHoldMs });
    let reentered = 0;
    const options: { lease: CallLease; signal?: AbortSignal; onReentered?: () => void } = { lease };
    if (input.signal) options.signal = input.signal;
    if (waitMs > 0) options.onReentered = () => reentered++;
    const reply = await this.transport.call<AcquireAllReply>('locks.acquireAll', args, options);
    const handle = new MultiLockHandle(this.transport, unique, lease, reply, reentered);
    const aborted = abortReason(options);
    if (aborted !== undefined) {
      if (handle.acquired) await handle.release().catch(() => undefined);
      throw aborted;
    }
    return handle;
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
    const lease = requireLease('lease', input?.lease);
    const waitMs = fixedWaitMs ?? optionalMs('waitMs', input.waitMs) ?? 0;
    const maxHoldMs = optionalMs('maxHoldMs', input.maxHoldMs, 1);
    const signal = input.signal;
    if (lease.lostReason) throw lease.lostReason;
    signal?.throwIfAborted();
    const args =
      maxHoldMs === undefined
        ? { name, leaseId: lease.id, waitMs }
        : { name, leaseId: lease.id, waitMs, maxHoldMs };
    let reentered = 0;
    // The lease itself, not its signal: a signal per lease held 100,000 AbortControllers.
    const options: { lease: CallLease; signal?: AbortSignal; onReentered?: () => void } = { lease };
    if (signal) options.signal = signal;
    // Only a waiting acquire is ever sent again after a reconnect.
    if (waitMs > 0) options.onReentered = () => reentered++;
    const reply = await this.transport.call<AcquireReply>('locks.acquire', args, options);
    const handle = new LockHandle(this.transport, name, lease, reply, reentered);
    const aborted = abortReason(options);
    if (aborted !== undefined) {
      if (handle.acquired) await handle.release().catch(() => undefined);
      throw aborted;
    }
    return handle;
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
