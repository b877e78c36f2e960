import type { Idempotency } from '../idempotency.js';
import type { Fence, KvEntry, LeaseApp } from '../types.js';

/** Options of a put. */
export interface PutOptions {
  readonly key: string;
  readonly value: string;
  readonly leaseId?: string;
  /** Whose lease `leaseId` may be (see LeaseApp); another app's lease is LEASE_NOT_FOUND. */
  readonly app: LeaseApp;
  /** 0 means "only if absent". */
  readonly ifVersion?: number;
  readonly fence?: Fence;
  /** Apply at most once per key within IDEMPOTENCY_WINDOW_MS; a repeat returns the first result. */
  readonly idempotency?: Idempotency;
}

/** The keys of a store: versioned values, optionally bound to a lease and fenced by a lock. */
export interface KvStore {
  /**
   * Writes a value; FENCED / VERSION_MISMATCH / LEASE_NOT_FOUND reject and change nothing. With
   * `idempotency`, a repeat replays the first result, and IDEMPOTENCY_KEY_REUSED refuses another request.
   */
  put(options: PutOptions): Promise<{ version: number; revision: number }>;
  /** Reads a value; undefined when absent. */
  get(key: string): Promise<KvEntry | undefined>;
  /** Deletes a value; false when it was absent. */
  delete(key: string): Promise<boolean>;
  /**
   * The first `limit` live entries whose key starts with `prefix` and sorts after `after` (exclusive,
   * when given), in UTF-8 byte order of the key (see compareBytes). A store without it cannot list.
   */
  list?(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]>;
}
