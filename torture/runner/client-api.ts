import type { Outcome } from '../history/history-op.js';
import type { OpFields } from '../history/history-recorder.js';

/** What one call came to: the outcome to record and the reply's fields (the error code among them). */
export interface CallResult {
  readonly outcome: Outcome;
  readonly fields: OpFields;
}

/** A semaphore's or a read/write lock's acquire, beyond its name, lease and wait: what it asks for. */
export type PoolRequest =
  | { readonly primitive: 'semaphores'; readonly limit: number; readonly permits: number }
  | { readonly primitive: 'rwlocks'; readonly mode: 'read' | 'write' };

/** The primitives held in permit pools (ADR 0021), by their API's path segment. */
export type PoolPrimitive = PoolRequest['primitive'];

/**
 * The calls a torture client makes, over one transport (raw HTTP or the SDK's stream). Each resolves,
 * never rejects: a refusal is `fail` with its code, a missing answer `unknown`.
 */
export interface ClientApi {
  /** `fields.leaseId` on `ok`. */
  grant(ttlMs: number, owner: string): Promise<CallResult>;
  keepAlive(leaseId: string): Promise<CallResult>;
  /** `fields.token` on `ok`; not acquired is `fail` with `not_acquired`. */
  acquire(name: string, leaseId: string, waitMs: number): Promise<CallResult>;
  release(name: string, leaseId: string): Promise<CallResult>;
  /** A semaphore's permits or a read/write lock: `fields.token` on `ok`; not acquired is `fail` `not_acquired`. */
  take(name: string, leaseId: string, waitMs: number, request: PoolRequest): Promise<CallResult>;
  /** Gives a semaphore's permits or a read/write lock back; `not_held` is `fail`. */
  giveBack(primitive: PoolPrimitive, name: string, leaseId: string): Promise<CallResult>;
  revoke(leaseId: string): Promise<CallResult>;
  /** A put fenced by the lock `name` at `token`; `fields.revision` on `ok`. */
  put(key: string, value: string, name: string, token: number): Promise<CallResult>;
  /** `fields.value` (null when absent) and `fields.revision` on `ok`. */
  read(key: string): Promise<CallResult>;
  /** `fields.held` and `fields.token` on `ok`. */
  describe(name: string): Promise<CallResult>;
  /** Stops any automatic renewal of the lease (a holder that deliberately stops keeping alive). */
  stopRenewing(leaseId: string): void;
  close(): Promise<void>;
}

/** Error codes that answer "certainly did nothing"; any other error leaves the outcome unknown. */
const DEFINITE = new Set([
  'FENCED',
  'LEASE_NOT_FOUND',
  'KEY_NOT_FOUND',
  'INVALID_ARGUMENT',
  'VERSION_MISMATCH',
  'FORBIDDEN',
  'QUOTA_EXCEEDED',
  'ERR_MALFORMED_REQUEST',
  'NOT_FOUND',
]);

/** The outcome of a call answered with an error `code` (or none: no answer at all). */
export function errorResult(code: string | undefined, status?: number): CallResult {
  const error = code ?? 'no_answer';
  const definite = DEFINITE.has(error) || (status !== undefined && status >= 400 && status < 500);
  return { outcome: definite ? 'fail' : 'unknown', fields: { error } };
}

/** The code of a thrown value: an SDK error's `errorCode`, a timeout, or the error's name. */
export function codeOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { errorCode?: unknown }).errorCode;
    if (typeof code === 'string') return code;
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
    // fetch fails with a bare TypeError whose cause says why (ECONNREFUSED, UND_ERR_SOCKET).
    const cause = (error.cause as { code?: unknown } | undefined)?.code;
    return typeof cause === 'string' ? cause : error.name;
  }
  return String(error);
}
