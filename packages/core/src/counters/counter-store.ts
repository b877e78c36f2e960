import type { Idempotency } from '../idempotency.js';

/** The counters of a store: named safe integers, absent counting as 0. */
export interface CounterStore {
  /**
   * Adds `delta` to a counter and returns the new value. With `idempotency`, at most once per key
   * within IDEMPOTENCY_WINDOW_MS: a repeat returns the first value; IDEMPOTENCY_KEY_REUSED another delta.
   */
  add(name: string, delta: number, idempotency?: Idempotency): Promise<number>;
  /** Reads a counter. */
  get(name: string): Promise<number>;
  /** Sets a counter. */
  set(name: string, value: number): Promise<void>;
}
