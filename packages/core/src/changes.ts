/** Row-level changes the engine emits, in order, for a journal to make durable. */

/** A lease row. */
export interface LeaseRow {
  readonly id: string;
  readonly ttlMs: number;
  readonly owner?: string;
  /** The app that granted it; rows written before leases had apps have none (admins only). */
  readonly app?: string;
  /** An implicit lease made by a Dapr TryLock. */
  readonly implicit?: boolean;
}

/** A held-lock row. */
export interface LockRow {
  readonly key: string;
  readonly leaseId: string;
  readonly token: number;
  readonly acquiredAt: number;
  readonly maxHoldMs?: number;
}

/** A permit pool row: a semaphore or a read/write lock, and its limit. */
export interface PoolRow {
  readonly key: string;
  readonly kind: 'semaphore' | 'rwlock';
  readonly limit: number;
  /** Made by setLimit: kept while idle, where an acquire's pool goes once nobody holds or awaits it. */
  readonly explicit: boolean;
}

/** A grant of permits in a pool to one lease. */
export interface GrantRow {
  readonly key: string;
  readonly leaseId: string;
  readonly permits: number;
  readonly token: number;
  readonly acquiredAt: number;
  readonly maxHoldMs?: number;
}

/** A key-value row. */
export interface KvRow {
  readonly key: string;
  readonly value: string;
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly leaseId?: string;
}

/** An idempotency key's first result (see engine/idempotency-table.ts). */
export interface IdempotencyRow {
  readonly key: string;
  readonly fingerprint: string;
  readonly result: string;
}

/** One change to durable state. */
export type Change =
  | { readonly kind: 'lease.put'; readonly row: LeaseRow }
  | { readonly kind: 'lease.delete'; readonly id: string }
  | { readonly kind: 'lock.put'; readonly row: LockRow }
  | { readonly kind: 'lock.delete'; readonly key: string }
  | { readonly kind: 'pool.put'; readonly row: PoolRow }
  | { readonly kind: 'pool.delete'; readonly key: string }
  | { readonly kind: 'grant.put'; readonly row: GrantRow }
  | { readonly kind: 'grant.delete'; readonly key: string; readonly leaseId: string }
  | { readonly kind: 'kv.put'; readonly row: KvRow }
  | { readonly kind: 'kv.delete'; readonly key: string }
  | { readonly kind: 'counter.put'; readonly name: string; readonly value: number }
  | { readonly kind: 'idempotency.put'; readonly row: IdempotencyRow }
  | { readonly kind: 'idempotency.delete'; readonly key: string }
  | { readonly kind: 'revision'; readonly revision: number };

/** Everything durable, as a journal restores it. */
export interface Snapshot {
  readonly revision: number;
  readonly leases: readonly LeaseRow[];
  readonly locks: readonly LockRow[];
  readonly kv: readonly KvRow[];
  readonly counters: readonly { readonly name: string; readonly value: number }[];
  /** Permit pools and their grants; absent in a journal from before semaphores. */
  readonly pools?: readonly PoolRow[];
  readonly grants?: readonly GrantRow[];
  /** Idempotency keys still in their window; absent in a journal from before them. */
  readonly idempotency?: readonly IdempotencyRow[];
}

/**
 * Makes changes durable. `LocalStore` never has two commits in flight and releases nothing a batch
 * changed until its `commit` resolves, so the promise must settle only once the batch is on disk.
 */
export interface Journal {
  /** Reads the last committed state; undefined for a new store. Runs once, before any commit. */
  load(): Snapshot | undefined;
  /** Writes a batch atomically and durably; rejects if any of it may not be on disk. */
  commit(changes: readonly Change[]): Promise<void>;
  /** Closes the backing file; called once no commit is in flight. */
  close(): void;
}
