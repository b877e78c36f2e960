import type { QueuedWaiter } from '../types.js';
import type { Lease } from './engine-records.js';
import type { Waiter } from './engine-sink.js';
import { waiterKeys } from './engine-sink.js';
import type { LeaseTable } from './lease-table.js';

/**
 * The waiting acquires: one FIFO queue per contended lock (a Set keeps arrival order and leaves in
 * O(1) from anywhere), each waiter also listed on its lease so ending the lease can fail it. A
 * multi-lock waiter joins the queue of each of its keys in one call, so every queue is a
 * sub-sequence of one arrival order: the earliest waiter heads all its queues, and none deadlock.
 */
export class WaiterQueues {
  private readonly byKey = new Map<string, Set<Waiter>>();

  /** How many acquires wait, a multi-lock once: a walk over the contended locks, for metrics scrapes. */
  get count(): number {
    let count = 0;
    for (const [key, queue] of this.byKey) {
      // A multi-lock waiter is counted in the queue of its first key only.
      for (const waiter of queue) if (waiter.keys === undefined || waiter.keys[0] === key) count++;
    }
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

  /** Queues `waiter` behind those already waiting for each of its locks, and lists it on its lease. */
  add(waiter: Waiter, lease: Lease): void {
    for (const key of waiterKeys(waiter)) {
      let queue = this.byKey.get(key);
      if (!queue) this.byKey.set(key, (queue = new Set()));
      queue.add(waiter);
    }
    (lease.waiters ??= new Set()).add(waiter);
  }

  /** Takes a waiter out of its queues and off its lease (if still alive); false when it was not queued. */
  remove(waiter: Waiter, lease: Lease | undefined): boolean {
    let queued = false;
    for (const key of waiterKeys(waiter)) {
      const queue = this.byKey.get(key);
      if (!queue?.delete(waiter)) continue;
      queued = true;
      if (queue.size === 0) this.byKey.delete(key);
    }
    if (queued) lease?.waiters?.delete(waiter);
    return queued;
  }

  /** Every waiter once, queue by queue, each queue read as it is reached; safe to remove them meanwhile. */
  *each(): Generator<Waiter> {
    const seen = new Set<Waiter>();
    for (const queue of [...this.byKey.values()]) {
      for (const waiter of [...queue]) {
        if (seen.has(waiter)) continue;
        seen.add(waiter);
        yield waiter;
      }
    }
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
