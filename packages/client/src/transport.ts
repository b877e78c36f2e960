import { OP_NAMES, specOf } from '@leasehold/core/ops';
import type { OpName } from '@leasehold/core/ops';

/** The seam between the SDK's API and the wire: one call per op of core's op table. */

/** Operations every transport carries: the names of core's op table. */
export type Op = OpName;

/** Operations that are safe to repeat after a connection failure (the table's `idempotent`). */
export const IDEMPOTENT_OPS: ReadonlySet<Op> = new Set(OP_NAMES.filter((op) => specOf(op).idempotent));

/**
 * Acquires that may wait (the table's `waits`): aborting one asks the server to leave the queue,
 * and one sent again on the holding lease answers with the same grant, so a reconnect re-sends it.
 */
export const WAITING_OPS: ReadonlySet<Op> = new Set(OP_NAMES.filter((op) => specOf(op).waits === true));

/**
 * True when a call may be sent again after a connection failure: an idempotent op, or one that
 * carries an `idempotencyKey` (the SDK's own, the same on every attempt: the store applies it once).
 */
export function retryable(op: Op, args: object): boolean {
  return IDEMPOTENT_OPS.has(op) || typeof (args as { idempotencyKey?: unknown }).idempotencyKey === 'string';
}

/** A fresh idempotency key for one logical call: a random UUID, kept across its retries. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call; a waiting acquire leaves the server's queue. */
  readonly signal?: AbortSignal;
  /** The lease the call is made on: its loss ends the call as `signal` does, with no composite. */
  readonly lease?: CallLease;
  /** Gives up (ConnectionError) when no answer came in time. */
  readonly timeoutMs?: number;
  /** Retries connection failures of idempotent ops and of calls with an idempotency key; default true. */
  readonly retry?: boolean;
  /** Told each time a waiting call is sent again after a reconnect. */
  readonly onReentered?: () => void;
}

/** Options of a call that needs none; shared so a call without options allocates nothing. */
export const NO_OPTIONS: CallOptions = Object.freeze({});

/**
 * A call's lease as a transport sees it. The stream listens for its loss only while the call is in
 * flight, so a lease that holds a lock keeps no AbortSignal or listener (100,000 of them add up).
 */
export interface CallLease {
  /** Why the lease was lost, once it is; undefined while it lives. */
  readonly lostReason: Error | undefined;
  /** Aborted with that reason when the lease is lost; made on first use. */
  readonly signal: AbortSignal;
  /** Calls `listener` once if the lease is lost. */
  addLossListener(listener: (error: Error) => void): void;
  /** Undoes `addLossListener`. */
  removeLossListener(listener: (error: Error) => void): void;
}

/** The reason a call was aborted (the lease's loss before the caller's signal), or undefined. */
export function abortReason(options: CallOptions): Error | undefined {
  if (options.lease?.lostReason) return options.lease.lostReason;
  if (options.signal?.aborted) return options.signal.reason as Error;
  return undefined;
}

/** A change under a watched prefix. */
export interface WatchEvent {
  readonly type:
    | 'put'
    | 'delete'
    | 'lease.expired'
    | 'lock.acquired'
    | 'lock.released'
    | 'permit.acquired'
    | 'permit.released';
  readonly key: string;
  readonly revision: number;
  readonly kind?: 'lock' | 'kv' | 'semaphore' | 'rwlock';
  /** The permits a permit event's grant weighs. */
  readonly permits?: number;
  /** The mode of a read/write lock's permit event. */
  readonly mode?: 'read' | 'write';
  readonly value?: string;
  readonly leaseId?: string;
  readonly fencingToken?: number;
}

/** Handlers of a watch. */
export interface WatchHandlers {
  readonly onEvent: (event: WatchEvent) => void;
  readonly onError?: (error: Error) => void;
}

/** A lease that a transport keeps alive: the Lease's side of the renewal contract. */
export interface RenewableLease {
  readonly id: string;
  readonly ttlMs: number;
  /** False once renewal must stop (lost, revoked, or past maxHoldMs). */
  wantsRenewal(): boolean;
  /** A keep-alive sent at `sentAtMs` (monotonic) was acknowledged. */
  acknowledge(sentAtMs: number, ttlMs: number): void;
  /** The server said the lease is gone. */
  markLost(reason: string, cause?: unknown): void;
}

/** Keeps leases alive: one timer per lease (HTTP) or one heartbeat per client (stream). */
export interface Renewer {
  add(lease: RenewableLease): void;
  remove(lease: RenewableLease): void;
  /** Resolves once no keep-alive covering this lease is in flight. */
  settled(lease: RenewableLease): Promise<void>;
}

/** A way to reach a Leasehold service: over the stream, over HTTP, or in this process. */
export interface Transport {
  readonly kind: 'stream' | 'http' | 'inProcess';
  readonly renewer: Renewer;
  /** Sends one op; `args` is the transport's to keep (callers pass a fresh object). */
  call<T>(op: Op, args: Record<string, unknown>, options?: CallOptions): Promise<T>;
  watch(prefix: string, handlers: WatchHandlers, afterRevision?: number): () => void;
  close(): Promise<void>;
}

/** The headers that say who calls: the API token, and the app an admin acts as. */
export function authHeaders(token: string | undefined, app: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (token) headers['dapr-api-token'] = token;
  if (app) headers['leasehold-app'] = app;
  return headers;
}
