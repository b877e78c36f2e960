/**
 * The torture history format: one JSON object per line, one line per operation, every time on one clock.
 * The checker reads only these fields, so a runner may add its own (a seed, a server id) freely.
 */

/** What an operation did, as far as its caller can tell. */
export type Outcome =
  /** Acknowledged: it took effect (a grant, an accepted write, a read that answered, a release that released). */
  | 'ok'
  /** Answered, and certainly did nothing: refused, not acquired, fenced, not held, or a definite error. */
  | 'fail'
  /** No reply (timeout, connection lost, client killed): it may or may not have taken effect. */
  | 'unknown';

/** Every kind of operation a history records, named `<primitive>.<verb>` as the op table names them. */
export const OP_KINDS = [
  'lease.grant',
  'lease.keepAlive',
  'lease.revoke',
  'lock.acquire',
  'lock.tryAcquire',
  'lock.release',
  'lock.forceRelease',
  'lock.describe',
  'lock.check',
  'dapr.lock',
  'dapr.unlock',
  'semaphore.acquire',
  'semaphore.release',
  'rwlock.acquire',
  'rwlock.release',
  'kv.put',
  'kv.delete',
  'kv.read',
  'watch.open',
  'watch.event',
  'watch.error',
  'watch.close',
  'fault',
] as const;

/** One kind of operation. */
export type OpKind = (typeof OP_KINDS)[number];

/** The kinds that grant a lock or permits (the checker's grants). */
export const GRANT_KINDS: ReadonlySet<OpKind> = new Set([
  'lock.acquire',
  'lock.tryAcquire',
  'dapr.lock',
  'semaphore.acquire',
  'rwlock.acquire',
]);

/** Which primitive a grant kind takes: Dapr locks are locks; each primitive names its own things. */
export type Primitive = 'lock' | 'semaphore' | 'rwlock';

/** The primitive an op of `kind` acts on, if it is a grant or a release. */
export function primitiveOf(kind: OpKind): Primitive | undefined {
  if (kind.startsWith('semaphore.')) return 'semaphore';
  if (kind.startsWith('rwlock.')) return 'rwlock';
  return kind.startsWith('lock.') || kind.startsWith('dapr.') ? 'lock' : undefined;
}

/** The watch event types, as the SSE stream names them. */
export type WatchEventType = 'put' | 'delete' | 'lease.expired' | 'lock.acquired' | 'lock.released';

/**
 * One recorded operation. Request and reply share the fields: `token` is the token a grant returned or
 * the one a fenced write sent, `value` the value written or read. Absent fields were not known.
 */
export interface HistoryOp {
  /** Invocation order in the history, from 0; assigned by the recorder. */
  readonly index: number;
  /** Who ran it: a client process (`c3`), a watch reader, or `nemesis` for faults. */
  readonly process: string;
  readonly kind: OpKind;
  /** Invoked at, in ms on the history's one clock (float). */
  readonly startMs: number;
  /** Answered at, or given up on (`unknown`); equal to `startMs` for instants (watch events, faults). */
  readonly endMs: number;
  readonly outcome: Outcome;
  /** Error code or status of a `fail`/`unknown` (`FENCED`, `LEASE_NOT_FOUND`, `not_held`, `timeout`). */
  readonly error?: string;
  /**
   * Lock, semaphore, read/write lock or Dapr resource name; for a fenced `kv.put` or a `lock.check`, the
   * fencing lock. The checker groups grants by name alone, so a history keeps the primitives' names apart.
   */
  readonly name?: string;
  /** KV key, the watch's prefix on `watch.open`, or the event's key on `watch.event`. */
  readonly key?: string;
  /** The lease: granted, kept alive, revoked, holding the grant, or bound to the key. */
  readonly leaseId?: string;
  /** Dapr `lockOwner`, or a lease's owner. */
  readonly owner?: string;
  /** The lease's TTL in ms (the Dapr `expiryInSeconds` × 1000 on `dapr.lock`). */
  readonly ttlMs?: number;
  /** A grant's `maxHoldMs`: the service may end it that long after it was asked for. */
  readonly maxHoldMs?: number;
  /** Fencing token: returned by a grant, sent by a fenced write or a check, reported by a describe. */
  readonly token?: number;
  /** Permits taken or given back (semaphores); 1 when absent. */
  readonly permits?: number;
  /** The semaphore's limit; 1 (a lock) when absent. */
  readonly limit?: number;
  /** Read/write locks: the mode asked for and granted (`rw-exclusion` reads it). */
  readonly mode?: 'read' | 'write';
  /** Value written (`kv.put`) or read (`kv.read`, `watch.event`); `null` means absent or deleted. */
  readonly value?: string | null;
  /** Store revision: of a write's reply, a read's row, an event, a watch's resume point or oldest kept. */
  readonly revision?: number;
  /** `lock.describe`: whether the lock was held. */
  readonly held?: boolean;
  /** `lock.check`: whether the token was the lock's current grant. */
  readonly valid?: boolean;
  /** Watch stream id, one per opened stream (a resume is a new stream). */
  readonly stream?: string;
  /** `watch.event`: the event's type. */
  readonly event?: WatchEventType;
  /** `fault`: what the nemesis did (`kill -9 server-1`, `SIGSTOP c2`, `cut proxy redis`). */
  readonly fault?: string;
}

/** A whole history, in any order; the checker orders what it needs. */
export type History = readonly HistoryOp[];
