import type { Change } from '../changes.js';
import type { LeaseholdError } from '../errors.js';
import type { LeaseApp } from '../store.js';
import type { AcquireResult, WatchEvent } from '../types.js';

/** Where the engine reports what it changed. Both are called synchronously, in order. */
export interface EngineSink {
  change(change: Change): void;
  event(event: WatchEvent): void;
}

/** A queued acquire. `settle` is called once, with the grant or the reason it ended. */
export interface Waiter {
  readonly key: string;
  readonly leaseId: string;
  readonly app: LeaseApp;
  readonly maxHoldMs: number | undefined;
  /** Wall-clock time the wait began, for operators. */
  readonly since?: number;
  settle(outcome: AcquireResult | LeaseholdError): void;
}
