import type { Cycle } from './closed-loop.js';
import type { Environment } from './environment.js';
import type { ProcessGroups } from './process-stats.js';

/** A path made ready for `workers` workers: its cycle, the processes behind it, and its teardown. */
export interface OpenPath {
  readonly cycle: Cycle;
  readonly processes: ProcessGroups;
  close(): Promise<void>;
}

/** One way to take and give back a lock: a Leasehold API on a store, or a peer. */
export interface BenchPath {
  /** As the tables print it, e.g. `sdk-stream/lock.memory` or `redlock`. */
  readonly name: string;
  /** True for the peers every Leasehold row is compared with. */
  readonly peer: boolean;
  /** `tag` keeps lock names apart between repetitions. */
  open(env: Environment, workers: number, tag: string): Promise<OpenPath>;
}

/** Throws when a cycle's step did not get the answer an uncontended lock must give. */
export function ensure(ok: boolean, what: string, got: unknown): void {
  if (!ok) throw new Error(`${what}: got ${JSON.stringify(got)}`);
}
