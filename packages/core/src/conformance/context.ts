import type { Store } from '../store.js';

/** What a conformance case gets: one store and the timing that store needs. */
export interface ConformanceContext {
  readonly store: Store;
  /** A short lease TTL the store honours exactly enough for expiry cases. */
  readonly ttlMs: number;
  /** How late after its TTL a lapsed lease may still be observed held. */
  readonly expirySlackMs: number;
  /** A prefix unique to this case, so cases sharing a store never collide. */
  readonly prefix: string;
}

/**
 * A store capability a case may use. `dapr` is always there: core maps Dapr's API onto leases and
 * locks where a store keeps no format of its own.
 */
export type Capability =
  'leases' | 'locks' | 'dapr' | 'kv' | 'counters' | 'semaphores' | 'rwlocks' | 'multiLock' | 'watch';

/** One contract line every store with the capabilities it needs must pass, framework-free (node:assert). */
export interface ConformanceCase {
  readonly name: string;
  /** Every capability the case touches: a store lacking one of them skips it. */
  readonly needs: readonly Capability[];
  run(context: ConformanceContext): Promise<void>;
}

/** Resolves after `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
