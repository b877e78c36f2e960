/** Typed errors of the SDK. Every error carries a stable `errorCode`, the server's when it sent one. */

/** Any error the SDK raises on purpose. */
export class LeaseholdClientError extends Error {
  override readonly name: string = 'LeaseholdClientError';
  /** The server's error code (`LEASE_NOT_FOUND`, `FENCED`, ...) or one of the SDK's own. */
  readonly errorCode: string;
  /** HTTP status of the reply, when there was one. */
  readonly status: number | undefined;

  constructor(errorCode: string, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.errorCode = errorCode;
    this.status = options?.status;
  }
}

/** The lease is gone, or the SDK can no longer prove it alive. */
export class LeaseLostError extends LeaseholdClientError {
  override readonly name: string = 'LeaseLostError';
  readonly leaseId: string;

  constructor(leaseId: string, reason: string, options?: { cause?: unknown }) {
    super('LEASE_LOST', `lease ${leaseId} lost: ${reason}`, options);
    this.leaseId = leaseId;
  }
}

/** The server could not be reached (connection refused, reset, timed out). */
export class ConnectionError extends LeaseholdClientError {
  override readonly name: string = 'ConnectionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** `withLock` gave up waiting for the lock. */
export class LockNotAcquiredError extends LeaseholdClientError {
  override readonly name: string = 'LockNotAcquiredError';
  readonly lockName: string;

  constructor(lockName: string, message?: string) {
    super('LOCK_NOT_ACQUIRED', message ?? `lock ${lockName} was not acquired`);
    this.lockName = lockName;
  }
}

/** The lease named does not exist or has expired. */
export class LeaseNotFoundError extends LeaseholdClientError {
  override readonly name: string = 'LeaseNotFoundError';
}

/** A fenced write carried a token that is no longer the lock's current grant. */
export class FencedError extends LeaseholdClientError {
  override readonly name: string = 'FencedError';
}

/** A conditional write found another version. */
export class VersionMismatchError extends LeaseholdClientError {
  override readonly name: string = 'VersionMismatchError';
}

/** An idempotency key was sent again with a different request: nothing changed. */
export class IdempotencyKeyReusedError extends LeaseholdClientError {
  override readonly name: string = 'IdempotencyKeyReusedError';
}

/** The key does not exist. */
export class KeyNotFoundError extends LeaseholdClientError {
  override readonly name: string = 'KeyNotFoundError';
}

/** A request field was rejected; the message names it. */
export class InvalidArgumentError extends LeaseholdClientError {
  override readonly name: string = 'InvalidArgumentError';
}

/** The token was missing or wrong. */
export class UnauthorizedError extends LeaseholdClientError {
  override readonly name: string = 'UnauthorizedError';
}

/** The client was closed. */
export class ClientClosedError extends LeaseholdClientError {
  override readonly name: string = 'ClientClosedError';

  constructor() {
    super('CLIENT_CLOSED', 'the client is closed');
  }
}

/**
 * A watch asked to resume from a revision the server no longer retains. Nothing after it was
 * delivered: reload a snapshot (`kv.list`, or `watch` with `onCompacted: 'snapshot'`) and
 * watch again from there, or from `oldestRevision - 1` knowing the changes before are lost.
 */
export class WatchCompactedError extends LeaseholdClientError {
  override readonly name: string = 'WatchCompactedError';
  /** The oldest revision the server can still replay from. */
  readonly oldestRevision: number;

  constructor(message: string, oldestRevision: number) {
    super('WATCH_COMPACTED', message, { status: 410 });
    this.oldestRevision = oldestRevision;
  }
}

/** The typed error that ended a watch, from its SSE `error` frame or stream error reply. */
export function watchErrorOf(body: { errorCode?: unknown; message?: unknown; oldestRevision?: unknown }) {
  const message = typeof body.message === 'string' ? body.message : 'the watch ended';
  if (body.errorCode === 'WATCH_COMPACTED' && typeof body.oldestRevision === 'number') {
    return new WatchCompactedError(message, body.oldestRevision);
  }
  return errorFromCode(typeof body.errorCode === 'string' ? body.errorCode : 'INTERNAL', message);
}

type ErrorClass = new (code: string, message: string, options?: { status?: number }) => LeaseholdClientError;

const BY_CODE: Readonly<Record<string, ErrorClass>> = {
  LEASE_NOT_FOUND: LeaseNotFoundError,
  FENCED: FencedError,
  VERSION_MISMATCH: VersionMismatchError,
  IDEMPOTENCY_KEY_REUSED: IdempotencyKeyReusedError,
  KEY_NOT_FOUND: KeyNotFoundError,
  INVALID_ARGUMENT: InvalidArgumentError,
  ERR_MALFORMED_REQUEST: InvalidArgumentError,
  ERR_UNAUTHORIZED: UnauthorizedError,
};

/** The typed error for a server error code. */
export function errorFromCode(errorCode: string, message: string, status?: number): LeaseholdClientError {
  const Class = BY_CODE[errorCode] ?? LeaseholdClientError;
  return new Class(errorCode, message, status === undefined ? undefined : { status });
}

/** A bad argument given to the SDK itself: names the field. */
export function badArgument(field: string, problem: string): InvalidArgumentError {
  return new InvalidArgumentError('INVALID_ARGUMENT', `${field}: ${problem}`);
}
