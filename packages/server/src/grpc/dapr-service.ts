import type { handleUnaryCall, Metadata, StatusObject, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Caller, LeaseholdService } from '@leasehold/core';
import { ERROR_TABLE, GrpcStatus, actingAs, isLeaseholdError, outcomeOf } from '@leasehold/core';
import { MISSING_TOKEN, TOKEN_MISMATCH, unauthenticated } from './auth-status.js';
import { UndecodableRequest } from './strict-decode.js';

/** What the Dapr gRPC service needs from the server. */
export interface DaprServiceDeps {
  readonly service: LeaseholdService;
  readonly authenticate: (token: string | undefined) => Caller | undefined;
  readonly authEnabled: boolean;
  readonly log: (msg: string, err?: unknown) => void;
}

interface TryLockRequest {
  readonly storeName: string;
  readonly resourceId: string;
  readonly lockOwner: string;
  readonly expiryInSeconds: number;
}

interface TryLockResponse {
  readonly success: boolean;
  readonly fencingToken: number;
}

interface UnlockRequest {
  readonly storeName: string;
  readonly resourceId: string;
  readonly lockOwner: string;
}

interface UnlockResponse {
  readonly status: number;
}

interface GetMetadataResponse {
  readonly id: string;
  readonly registeredComponents: { name: string; type: string; version: string; capabilities: string[] }[];
}

/** The handlers of `dapr.proto.runtime.v1.Dapr`: decode, call the service, encode. */
export function daprService(deps: DaprServiceDeps): UntypedServiceImplementation {
  const { service } = deps;
  return {
    TryLockAlpha1: unary(
      deps,
      'TryLockAlpha1',
      async (caller, request: TryLockRequest): Promise<TryLockResponse> => {
        const { storeName, ...lock } = request;
        const result = await service.dapr.tryLock(caller, storeName, lock);
        return { success: result.acquired, fencingToken: result.acquired ? result.fencingToken : 0 };
      },
    ),

    UnlockAlpha1: unary(
      deps,
      'UnlockAlpha1',
      async (caller, request: UnlockRequest): Promise<UnlockResponse> => {
        const { storeName, ...lock } = request;
        return { status: await service.dapr.unlock(caller, storeName, lock) };
      },
    ),

    GetMetadata: unary(deps, 'GetMetadata', (caller) =>
      Promise.resolve<GetMetadataResponse>({
        id: caller.appId,
        registeredComponents: service
          .listStores()
          .map(({ name, type }) => ({ name, type, version: 'v1', capabilities: [] })),
      }),
    ),
  };
}

/** The op label of each method, as the other transports name it. */
const OPS: Readonly<Record<string, string>> = {
  TryLockAlpha1: 'daprTryLock',
  UnlockAlpha1: 'daprUnlock',
  GetMetadata: 'metadata',
};

/** Wraps a handler with token auth, the error table and the request metrics. */
function unary<Req, Res>(
  deps: DaprServiceDeps,
  method: string,
  handler: (caller: Caller, request: Req) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  const op = OPS[method] ?? method;
  return (call, callback) => {
    const observer = deps.service.observer;
    const started = observer ? performance.now() : 0;
    const done = (outcome: string) => {
      const store = (call.request as { storeName?: unknown } | null)?.storeName;
      const seconds = (performance.now() - started) / 1000;
      observer?.requestDone('grpc', op, typeof store === 'string' ? store : '', outcome, seconds);
    };
    const token = deps.authEnabled ? tokenOf(call.metadata) : undefined;
    const caller = deps.authenticate(token);
    if (!caller) {
      done('ERR_UNAUTHORIZED');
      callback(unauthenticated(token === undefined ? MISSING_TOKEN : TOKEN_MISMATCH));
      return;
    }
    const fail = (error: unknown) => {
      done(outcomeOf(error));
      callback(toServiceError(error, method, deps.log));
    };
    let answer: Promise<Res>;
    // A synchronous throw is answered too, not left hanging.
    try {
      const request = call.request as Req | UndecodableRequest;
      if (request instanceof UndecodableRequest) throw request.error;
      answer = handler(actingAs(caller, actAsOf(call.metadata)), request);
    } catch (error) {
      fail(error);
      return;
    }
    answer.then((response) => {
      done('ok');
      callback(null, response);
    }, fail);
  };
}

/** A non-`-bin` metadata key, so grpc-js hands its value over as a string. */
function tokenOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get('dapr-api-token');
  return typeof value === 'string' ? value : undefined;
}

/** The app an admin acts as, from `leasehold-app` metadata. */
function actAsOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get('leasehold-app');
  return typeof value === 'string' ? value : undefined;
}

/**
 * Maps an error through ERROR_TABLE. Server-side failures are logged once with their cause;
 * anything that is not a LeaseholdError is answered INTERNAL without its message.
 */
export function toServiceError(
  error: unknown,
  method: string,
  log: DaprServiceDeps['log'],
): Partial<StatusObject> {
  if (!isLeaseholdError(error)) {
    log(`gRPC ${method}: unexpected error`, error);
    return { code: GrpcStatus.INTERNAL, details: ERROR_TABLE.INTERNAL.message };
  }
  const code = ERROR_TABLE[error.code].grpcStatus;
  if (code === GrpcStatus.INTERNAL && error.cause !== undefined)
    log(`gRPC ${method}: ${error.code} ${error.message}`, error.cause);
  return { code, details: error.message };
}
