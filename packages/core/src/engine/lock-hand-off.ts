import { LeaseholdError } from '../errors.js';
import type { Lease } from './engine-records.js';
import type { MultiWaiter, Waiter } from './engine-sink.js';
import { EngineState } from './engine-state.js';

/**
 * How lock queues move: a waiter leaves, a freed lock goes to its head waiter. A multi-lock
 * waiter (ADR 0025) heads a free lock without taking it until it heads every one of its queues
 * and each of its keys is free or its own lease's; then it takes them all in the same step, so
 * nobody observes a subset. The lock it waits on meanwhile stays free: that is the price of FIFO.
 */
export class LockHandOff extends EngineState {
  /** Removes a waiter that has not been granted, and lets those it stood before go on; false when it already was. */
  cancelWaiter(waiter: Waiter): boolean {
    if (!this.dequeue(waiter)) return false;
    // A multi-lock waiter may have headed a free lock's queue: the next waiter there may go now.
    if (waiter.keys !== undefined) for (const key of waiter.keys) this.handOff(key);
    return true;
  }

  /** Takes a waiter out of its queues, handing nothing on; false when it was not queued. */
  protected dequeue(waiter: Waiter): boolean {
    return this.queues.remove(waiter, this.leases.get(waiter.leaseId));
  }

  /** Grants a free lock to its head waiter, if any; a waiter whose lease is gone fails, and the next is tried. */
  protected handOff(key: string): void {
    if (this.locks.has(key)) return;
    const head = this.queues.head(key);
    if (!head) return;
    if (head.keys !== undefined) {
      this.grantAllIfReady(head);
      return;
    }
    this.dequeue(head);
    const lease = this.leases.get(head.leaseId);
    if (!lease) {
      head.settle(new LeaseholdError('LEASE_NOT_FOUND'));
      this.handOff(key);
      return;
    }
    head.settle({ acquired: true, fencingToken: this.locks.grant(lease, key, head.maxHoldMs) });
  }

  /** Grants a multi-lock waiter all its keys if it heads each queue and each key is free or its own. */
  protected grantAllIfReady(waiter: MultiWaiter): void {
    const lease = this.leases.get(waiter.leaseId);
    if (!lease) {
      this.cancelWaiter(waiter);
      waiter.settle(new LeaseholdError('LEASE_NOT_FOUND'));
      return;
    }
    const ready = (key: string) => {
      const lock = this.locks.get(key);
      // A key its own lease holds is granted already: its queue's order does not apply.
      return lock === undefined ? this.queues.head(key) === waiter : lock.leaseId === lease.id;
    };
    if (!waiter.keys.every(ready)) return;
    this.dequeue(waiter);
    waiter.settle({ acquired: true, fencingTokens: this.takeAll(lease, waiter.keys, waiter.maxHoldMs) });
  }

  /** Grants `lease` each of `keys` it does not hold yet, in this one step; every key's token. */
  protected takeAll(
    lease: Lease,
    keys: readonly string[],
    maxHoldMs: number | undefined,
  ): Record<string, number> {
    const tokens: Record<string, number> = {};
    for (const key of keys) {
      const held = this.locks.get(key);
      tokens[key] = held?.leaseId === lease.id ? held.token : this.locks.grant(lease, key, maxHoldMs);
    }
    return tokens;
  }
}
