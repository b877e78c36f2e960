import type { Lease } from './lease.js';
import { PermitHandle } from './permit-handle.js';
import type { PermitReply } from './permit-handle.js';
import { readAcquire, sendAcquire } from './send-acquire.js';
import type { Transport } from './transport.js';
import { compact, requireString } from './validate.js';

/** Options of a permit tryAcquire. */
export interface PermitTryAcquireOptions {
  readonly lease: Lease;
  /** Creates the semaphore if absent; must equal its limit (LIMIT_MISMATCH) if given. */
  readonly limit?: number;
  /** How many permits this grant weighs; default 1. */
  readonly permits?: number;
  /** The server releases the permits this long after the grant, even while the lease lives. */
  readonly maxHoldMs?: number;
}

/** Options of a permit acquire. */
export interface PermitAcquireOptions extends PermitTryAcquireOptions {
  /** How long to wait in the semaphore's FIFO queue; 0 (default) never waits. */
  readonly waitMs?: number;
  /** Aborting leaves the queue and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One holder of a semaphore; another app's holder shows its owner at most. */
export interface PermitHolderDescription {
  readonly leaseId?: string;
  readonly owner?: string;
  readonly permits: number;
  readonly fencingToken: number;
  readonly acquiredAt: number;
}

/** A semaphore's state as the server describes it. */
export interface SemaphoreDescription {
  readonly name: string;
  readonly limit: number;
  readonly used: number;
  readonly holders: readonly PermitHolderDescription[];
  readonly waiters: number;
}

/** `client.semaphores`: take, release, inspect and resize counting semaphores. */
export class SemaphoresApi {
  constructor(private readonly transport: Transport) {}

  /** Takes the permits if they are free and nobody waits; never waits. */
  tryAcquire(name: string, options: PermitTryAcquireOptions): Promise<PermitHandle> {
    return this.send(name, options, 0);
  }

  /** Takes the permits, waiting up to `waitMs` in FIFO order. Not acquired is a value, not an error. */
  acquire(name: string, options: PermitAcquireOptions): Promise<PermitHandle> {
    return this.send(name, options, undefined);
  }

  private async send(name: string, input: PermitAcquireOptions, fixedWaitMs: 0 | undefined) {
    requireString('name', name);
    const { lease, waitMs, maxHoldMs } = readAcquire(input, fixedWaitMs);
    const { limit, permits } = input;
    const args = compact({ name, leaseId: lease.id, limit, permits, waitMs, maxHoldMs });
    return sendAcquire(
      this.transport,
      'semaphores.acquire',
      args,
      { lease, waitMs, signal: input.signal },
      (reply: PermitReply, reentered) => new PermitHandle(this.transport, name, lease, reply, reentered),
    );
  }

  /** Releases a lease's permits. Resolves with `released` or `not_held`. */
  async release(permit: PermitHandle | string, options?: { lease: Lease | string }): Promise<string> {
    if (permit instanceof PermitHandle) return permit.release();
    const leaseId = typeof options?.lease === 'string' ? options.lease : options?.lease?.id;
    const reply = await this.transport.call<{ status: string }>('semaphores.release', {
      name: requireString('name', permit),
      leaseId: requireString('lease', leaseId),
    });
    return reply.status;
  }

  /** Describes a semaphore: limit, permits used, holders and waiters (NOT_FOUND if absent). */
  describe(name: string): Promise<SemaphoreDescription> {
    return this.transport.call('semaphores.describe', { name: requireString('name', name) });
  }

  /** Lists the semaphores whose name starts with `prefix`. */
  list(options: { prefix?: string } = {}): Promise<SemaphoreDescription[]> {
    return this.transport.call('semaphores.list', { prefix: options.prefix ?? '' });
  }

  /** True while `token` is a current grant of the semaphore: fence with this, not a highest-token check. */
  async check(name: string, token: number): Promise<boolean> {
    const reply = await this.transport.call<{ valid: boolean }>('semaphores.check', {
      name: requireString('name', name),
      token,
    });
    return reply.valid;
  }

  /** Sets the limit (creating the semaphore, kept while idle); `ifLimit` guards against a race. */
  setLimit(name: string, limit: number, options: { ifLimit?: number } = {}): Promise<SemaphoreDescription> {
    const args = compact({ name: requireString('name', name), limit, ifLimit: options.ifLimit });
    return this.transport.call('semaphores.setLimit', args);
  }
}
