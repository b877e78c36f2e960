// redlock 5's types sit outside its `exports` map, so NodeNext resolution cannot see them:
// the little of its API the benchmarks use, as its dist/index.d.ts declares it.
declare module 'redlock' {
  import type { Redis } from 'ioredis';

  /** A held redlock lock. */
  export interface Lock {
    release(): Promise<unknown>;
  }

  /** Redlock over independent Redis masters (one, here). */
  export default class Redlock {
    constructor(clients: Iterable<Redis>, settings?: { retryCount?: number; driftFactor?: number });
    acquire(resources: string[], durationMs: number): Promise<Lock>;
  }
}
