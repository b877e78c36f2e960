/**
 * daprd's answers to bad Dapr lock requests, word for word, for the HTTP and gRPC tests to share.
 * Sources in dapr/dapr: messages `pkg/messages/predefined.go`, order `pkg/api/universal/lock.go`,
 * the `||` refusal `pkg/components/lock/lock_config.go`. Every row is sent to a server whose only
 * lock store is `lockstore`.
 */
export interface DaprMessageCase {
  readonly name: string;
  readonly method: 'lock' | 'unlock';
  readonly store: string;
  readonly request: { resourceId?: string; lockOwner?: string; expiryInSeconds?: number };
  readonly errorCode: string;
  readonly httpStatus: number;
  /** The gRPC status code's name in @grpc/grpc-js `status`. */
  readonly grpcStatus: 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'INTERNAL';
  readonly message: string;
}

const ok = { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 10 };
const malformed = {
  errorCode: 'ERR_MALFORMED_REQUEST',
  httpStatus: 400,
  grpcStatus: 'INVALID_ARGUMENT',
} as const;
const notFound = {
  errorCode: 'ERR_LOCK_STORE_NOT_FOUND',
  httpStatus: 400,
  grpcStatus: 'INVALID_ARGUMENT',
} as const;

/** With `lockstore` configured. */
export const DAPR_MESSAGE_CASES: readonly DaprMessageCase[] = [
  {
    name: 'expiry 0',
    method: 'lock',
    store: 'lockstore',
    request: { ...ok, expiryInSeconds: 0 },
    ...malformed,
    message: 'ExpiryInSeconds is not positive in lock store lockstore',
  },
  {
    name: 'expiry negative, checked before the store and the fields',
    method: 'lock',
    store: 'nostore',
    request: { resourceId: '', lockOwner: '', expiryInSeconds: -5 },
    ...malformed,
    message: 'ExpiryInSeconds is not positive in lock store nostore',
  },
  {
    name: 'lock: resource id empty',
    method: 'lock',
    store: 'lockstore',
    request: { ...ok, resourceId: '' },
    ...malformed,
    message: 'ResourceId is empty in lock store lockstore',
  },
  {
    name: 'lock: resource id empty, checked before the owner and the store',
    method: 'lock',
    store: 'nostore',
    request: { ...ok, resourceId: '', lockOwner: '' },
    ...malformed,
    message: 'ResourceId is empty in lock store nostore',
  },
  {
    name: 'lock: lock owner empty',
    method: 'lock',
    store: 'lockstore',
    request: { ...ok, lockOwner: '' },
    ...malformed,
    message: 'LockOwner is empty in lock store lockstore',
  },
  {
    name: 'unlock: resource id empty',
    method: 'unlock',
    store: 'lockstore',
    request: { lockOwner: 'o' },
    ...malformed,
    message: 'ResourceId is empty in lock store lockstore',
  },
  {
    name: 'unlock: lock owner empty, checked before the store',
    method: 'unlock',
    store: 'nostore',
    request: { resourceId: 'r' },
    ...malformed,
    message: 'LockOwner is empty in lock store nostore',
  },
  {
    name: 'lock: unknown store',
    method: 'lock',
    store: 'nostore',
    request: ok,
    ...notFound,
    message: 'lock store nostore not found',
  },
  {
    name: 'unlock: unknown store',
    method: 'unlock',
    store: 'nostore',
    request: ok,
    ...notFound,
    message: 'lock store nostore not found',
  },
  {
    name: 'lock: a resource id containing ||',
    method: 'lock',
    store: 'lockstore',
    request: { ...ok, resourceId: 'a||b' },
    errorCode: 'ERR_TRY_LOCK',
    httpStatus: 500,
    grpcStatus: 'INTERNAL',
    message: "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain '||'",
  },
  {
    name: 'unlock: a resource id containing ||',
    method: 'unlock',
    store: 'lockstore',
    request: { resourceId: 'a||b', lockOwner: 'o' },
    errorCode: 'ERR_UNLOCK',
    httpStatus: 500,
    grpcStatus: 'INTERNAL',
    message: "failed to release lock: input key/keyPrefix 'a||b' can't contain '||'",
  },
];

/** With no lock store at all: only the expiry check comes first. */
export const DAPR_NO_STORE_CASES: readonly DaprMessageCase[] = [
  {
    name: 'lock, no lock store',
    method: 'lock',
    store: 'lockstore',
    request: { ...ok, lockOwner: '' },
    errorCode: 'ERR_LOCK_STORE_NOT_CONFIGURED',
    httpStatus: 500,
    grpcStatus: 'FAILED_PRECONDITION',
    message: 'lock store is not configured',
  },
  {
    name: 'unlock, no lock store',
    method: 'unlock',
    store: 'lockstore',
    request: {},
    errorCode: 'ERR_LOCK_STORE_NOT_CONFIGURED',
    httpStatus: 500,
    grpcStatus: 'FAILED_PRECONDITION',
    message: 'lock store is not configured',
  },
  {
    name: 'lock, no lock store, expiry 0',
    method: 'lock',
    store: 'lockstore',
    request: { ...ok, expiryInSeconds: 0 },
    ...malformed,
    message: 'ExpiryInSeconds is not positive in lock store lockstore',
  },
];

/** daprd's HTTP answer to a missing or wrong token: Go's http.Error (dapr/dapr `pkg/api/http/middlewares.go`). */
export const HTTP_TOKEN_REFUSAL = {
  status: 401,
  body: 'invalid api token\n',
  contentType: 'text/plain; charset=utf-8',
} as const;

/** daprd's gRPC answers (dapr/dapr `pkg/api/grpc/auth.go`, `pkg/messaging/v1/util.go`). */
export const GRPC_TOKEN_REFUSAL = {
  details: 'Unauthorized',
  missing: 'missing api token in request metadata',
  mismatch: 'authentication error: api token mismatch',
} as const;
