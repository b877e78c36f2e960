import type { QueuedWaiter } from '../types.js';
import type { Lease } from './engine-records.js';
import type { Waiter } from './engine-sink.js';
import type { LeaseTable } from './lease-table.js';

/**
 * The waiting acquires: one FIFO queue per contended lock (a Set keeps arrival order and leaves in
 * O(1) from anywhere), each waiter also listed on its lease so ending the lease can fail it.
 */
export class WaiterQueues {
  private readonly byKey = new Map<string, Set<Waiter>>();

  /** How many acquires wait: a walk over the contended locks, for metrics scrapes. */
  get count(): number {
    let count = 0;
    for (const queue of this.byKey.values()) count += queue.size;
    return count;
  }

  /** How many acquires wait for `key`. */
  size(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }

  /** The longest-waiting acquire of `key`. */
  head(key: string): Waiter | undefined {
    return this.byKey.get(key)?.values().next().value;
  }

  /** Queues `waiter` behind those already waiting for its lock, and lists it on its lease. */
  add(waiter: Waiter, lease: Lease): void {
    let queue = this.byKey.get(waiter.key);
    if (!queue) this.byKey.set(waiter.key, (queue = new Set()));
    queue.add(waiter);
    (lease.waiters ??= new Set()).add(waiter);
  }

  /** Takes a waiter out of its queue and off its lease (if still alive); false when it was not queued. */
  remove(waiter: Waiter, lease: Lease | undefined): boolean {
    const queue = this.byKey.get(waiter.key);
    if (!queue?.delete(waiter)) return false;
    if (queue.size === 0) this.byKey.delete(waiter.key);
    lease?.waiters?.delete(waiter);
    return true;
  }

  /** Every waiter, queue by queue, each queue read as it is reached; safe to remove them meanwhile. */
  *each(): Generator<Waiter> {
    for (const queue of [...this.byKey.values()]) yield* [...queue];
  }

  /** The waiters of `key`, head first, with their leases' apps and owners. */
  describe(key: string, leases: LeaseTable): QueuedWaiter[] {
    return [...(this.byKey.get(key) ?? [])].map((waiter) => {
      const lease = leases.get(waiter.leaseId);
      return {
        leaseId: waiter.leaseId,
        ...(lease === undefined ? {} : { app: lease.app }),
        ...(lease?.owner === undefined ? {} : { owner: lease.owner }),
        ...(waiter.since === undefined ? {} : { since: waiter.since }),
      };
    });
  }
}
