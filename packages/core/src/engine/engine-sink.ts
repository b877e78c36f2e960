import type { Change } from '../changes.js';
import type { LeaseholdError } from '../errors.js';
import type { LeaseApp } from '../store.js';
import type { AcquireAllResult } from '../locks/multi-lock-store.js';
import type { AcquireResult, WatchEvent } from '../types.js';

/** Where the engine reports what it changed. Both are called synchronously, in order. */
export interface EngineSink {
  change(change: Change): void;
  event(event: WatchEvent): void;
}

/** What every queued acquire carries. */
interface QueuedAcquire {
  readonly leaseId: string;
  readonly app: LeaseApp;
  readonly maxHoldMs: number | undefined;
  /** Wall-clock time the wait began, for operators. */
  readonly since?: number;
}

/** A queued acquire of one lock. `settle` is called once, with the grant or the reason it ended. */
export interface LockWaiter extends QueuedAcquire {
  readonly key: string;
  readonly keys?: undefined;
  settle(outcome: AcquireResult | LeaseholdError): void;
}

/**
 * A queued all-or-nothing acquire: it stands in the queue of every one of its keys at once, and is
 * granted only when it heads them all and all are free (or held by its own lease).
 */
export interface MultiWaiter extends QueuedAcquire {
  readonly keys: readonly string[];
  settle(outcome: AcquireAllResult | LeaseholdError): void;
}

/** A queued acquire, of one lock or of several. */
export type Waiter = LockWaiter | MultiWaiter;

/** The keys whose queues `waiter` stands in. */
export function waiterKeys(waiter: Waiter): readonly string[] {
  return waiter.keys === undefined ? [waiter.key] : waiter.keys;
}
