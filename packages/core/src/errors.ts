/**
 * The one table of error codes: each code's HTTP status, gRPC status and default message.
 * Transports map errors through this table and never invent their own.
 */

/** gRPC status codes used by Leasehold (numbers from the gRPC spec). */
export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Every error code Leasehold can answer with. */
export type ErrorCode =
  | 'ERR_BODY_READ'
  | 'ERR_MALFORMED_REQUEST'
  | 'ERR_LOCK_STORE_NOT_CONFIGURED'
  | 'ERR_LOCK_STORE_NOT_FOUND'
  | 'ERR_TRY_LOCK'
  | 'ERR_UNLOCK'
  | 'ERR_UNAUTHORIZED'
  | 'INVALID_ARGUMENT'
  | 'STORE_NOT_FOUND'
  | 'LEASE_NOT_FOUND'
  | 'KEY_NOT_FOUND'
  | 'FENCED'
  | 'VERSION_MISMATCH'
  | 'LIMIT_MISMATCH'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'MODE_CONFLICT'
  | 'QUOTA_EXCEEDED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_FOUND'
  | 'NOT_SUPPORTED'
  | 'WATCH_COMPACTED'
  | 'UNAVAILABLE'
  | 'STORE_ERROR'
  | 'INTERNAL';

interface ErrorSpec {
  readonly httpStatus: number;
  readonly grpcStatus: number;
  readonly message: string;
}

/**
 * Status and default message for each code. The ERR_* rows are daprd's (dapr/dapr
 * `pkg/messages/predefined.go`): the same statuses and daprd's words, which the Dapr lock API
 * completes at the throw with what daprd formats in (the store name, the reason).
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorSpec>> = {
  ERR_BODY_READ: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    message: 'failed to read request body',
  },
  ERR_MALFORMED_REQUEST: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    message: 'failed deserializing HTTP body',
  },
  ERR_LOCK_STORE_NOT_CONFIGURED: {
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    message: 'lock store is not configured',
  },
  ERR_LOCK_STORE_NOT_FOUND: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    message: 'lock store not found',
  },
  ERR_TRY_LOCK: { httpStatus: 500, grpcStatus: GrpcStatus.INTERNAL, message: 'failed to try acquiring lock' },
  ERR_UNLOCK: { httpStatus: 500, grpcStatus: GrpcStatus.INTERNAL, message: 'failed to release lock' },
  ERR_UNAUTHORIZED: { httpStatus: 401, grpcStatus: GrpcStatus.UNAUTHENTICATED, message: 'invalid api token' },
  INVALID_ARGUMENT: { httpStatus: 400, grpcStatus: GrpcStatus.INVALID_ARGUMENT, message: 'invalid argument' },
  STORE_NOT_FOUND: { httpStatus: 404, grpcStatus: GrpcStatus.NOT_FOUND, message: 'store not found' },
  LEASE_NOT_FOUND: {
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
    message: 'lease not found or expired',
  },
  KEY_NOT_FOUND: { httpStatus: 404, grpcStatus: GrpcStatus.NOT_FOUND, message: 'key not found' },
  FENCED: {
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    message: 'fencing token is no longer the current grant of the lock',
  },
  VERSION_MISMATCH: {
    httpStatus: 409,
    grpcStatus: GrpcStatus.ABORTED,
    message: 'key version does not match ifVersion',
  },
  LIMIT_MISMATCH: {
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    message: "the semaphore's limit is not the one given",
  },
  // 422 as the IETF httpapi Idempotency-Key draft answers a key reused with another payload.
  IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    message: 'idempotency key reused with a different request',
  },
  MODE_CONFLICT: {
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    message: 'the lease holds the read/write lock in the other mode',
  },
  QUOTA_EXCEEDED: { httpStatus: 429, grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED, message: 'quota exceeded' },
  FORBIDDEN: { httpStatus: 403, grpcStatus: GrpcStatus.PERMISSION_DENIED, message: 'forbidden' },
  PAYLOAD_TOO_LARGE: {
    httpStatus: 413,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    message: 'request body too large',
  },
  NOT_FOUND: { httpStatus: 404, grpcStatus: GrpcStatus.NOT_FOUND, message: 'not found' },
  NOT_SUPPORTED: {
    httpStatus: 501,
    grpcStatus: GrpcStatus.UNIMPLEMENTED,
    message: 'not supported by this store',
  },
  // 410 Gone: the history asked for existed and was discarded; OUT_OF_RANGE as etcd's ErrCompacted.
  WATCH_COMPACTED: {
    httpStatus: 410,
    grpcStatus: GrpcStatus.OUT_OF_RANGE,
    message: 'the watch history was compacted past the revision asked for',
  },
  UNAVAILABLE: { httpStatus: 503, grpcStatus: GrpcStatus.UNAVAILABLE, message: 'service unavailable' },
  STORE_ERROR: { httpStatus: 500, grpcStatus: GrpcStatus.INTERNAL, message: 'store failure' },
  INTERNAL: { httpStatus: 500, grpcStatus: GrpcStatus.INTERNAL, message: 'internal error' },
};

/** A typed Leasehold error with a stable `code`; `cause` is logged, never sent to clients. */
export class LeaseholdError extends Error {
  override readonly name: string = 'LeaseholdError';
  readonly code: ErrorCode;
  /** The request field at fault, when there is one. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; field?: string }) {
    super(
      message ?? ERROR_TABLE[code].message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.field = options?.field;
  }

  /** HTTP status of this error's code. */
  get httpStatus(): number {
    return ERROR_TABLE[this.code].httpStatus;
  }

  /** gRPC status of this error's code. */
  get grpcStatus(): number {
    return ERROR_TABLE[this.code].grpcStatus;
  }
}

/** A bad request field: names the field and the limit it broke. */
export function invalidArgument(field: string, problem: string): LeaseholdError {
  return new LeaseholdError('INVALID_ARGUMENT', `${field}: ${problem}`, { field });
}

/** Wraps any backend failure as a STORE_ERROR, keeping the cause for the log. */
export function storeError(operation: string, cause: unknown): LeaseholdError {
  if (cause instanceof LeaseholdError) return cause;
  return new LeaseholdError('STORE_ERROR', `store failed during ${operation}`, { cause });
}

/** True for errors that are Leasehold's own typed errors. */
export function isLeaseholdError(value: unknown): value is LeaseholdError {
  return value instanceof LeaseholdError;
}
