/** The counters of a store: named safe integers, absent counting as 0. */
export interface CounterStore {
  /** Adds `delta` to a counter and returns the new value. */
  add(name: string, delta: number): Promise<number>;
  /** Reads a counter. */
  get(name: string): Promise<number>;
  /** Sets a counter. */
  set(name: string, value: number): Promise<void>;
}
