import { LeaseholdError } from '@leasehold/core';
import type { Caller, LockService } from '@leasehold/core';

/** A decoded stream request. */
export interface StreamRequest {
  readonly id: number | string;
  readonly op: string;
  readonly store: string;
  readonly args: Record<string, unknown>;
}

/** Operations answered by one LockService call, named after the service's methods. */
export const SERVICE_OPS = new Set([
  'grantLease',
  'keepAlive',
  'revokeLease',
  'getLease',
  'listLeases',
  'acquire',
  'release',
  'describeLock',
  'listLocks',
  'checkLock',
  'put',
  'get',
  'delete',
  'counterAdd',
  'counterGet',
  'counterSet',
]);

/** Runs one service operation: the stream's only translation step. */
export function callService(
  service: LockService,
  caller: Caller,
  request: StreamRequest,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const { store, args } = request;
  switch (request.op) {
    case 'grantLease':
      return service.grantLease(caller, store, args);
    case 'keepAlive':
      return service.keepAlive(caller, store, args.leaseId);
    case 'revokeLease':
      return service.revokeLease(caller, store, args.leaseId);
    case 'getLease':
      return service.getLease(caller, store, args.leaseId);
    case 'listLeases':
      return service.listLeases(caller, store);
    case 'acquire':
      return service.acquire(caller, store, args, signal);
    case 'release':
      return service.release(caller, store, args);
    case 'describeLock':
      return service.describeLock(caller, store, args.name);
    case 'listLocks':
      return service.listLocks(caller, store, args.prefix);
    case 'checkLock':
      return service.checkLock(caller, store, args.name, args.token);
    case 'put':
      return service.put(caller, store, args);
    case 'get':
      return service.get(caller, store, args.key);
    case 'delete':
      return service.delete(caller, store, args.key);
    case 'counterAdd':
      return service.counterAdd(caller, store, args);
    case 'counterGet':
      return service.counterGet(caller, store, args.name);
    case 'counterSet':
      return service.counterSet(caller, store, args);
    default:
      return Promise.reject(unknownOp(request.op));
  }
}

/** The error for an operation the stream does not know. */
export function unknownOp(op: string): LeaseholdError {
  return new LeaseholdError('INVALID_ARGUMENT', `op: unknown operation "${op}"`, { field: 'op' });
}

/**
 * Decodes one message: `{id, op, store?, ...args}`. Throws INVALID_ARGUMENT naming the field;
 * `id` is returned separately so the error can still be addressed to the request.
 */
export function decodeRequest(message: unknown): StreamRequest {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new LeaseholdError('INVALID_ARGUMENT', 'message: must be a JSON object', { field: 'message' });
  }
  const { id, op, store, ...args } = message as Record<string, unknown>;
  if (typeof id !== 'number' && typeof id !== 'string') {
    throw new LeaseholdError('INVALID_ARGUMENT', 'id: must be a number or a string', { field: 'id' });
  }
  if (typeof op !== 'string' || op === '') {
    throw new LeaseholdError('INVALID_ARGUMENT', 'op: must be a non-empty string', { field: 'op' });
  }
  if (store !== undefined && (typeof store !== 'string' || store === '')) {
    throw new LeaseholdError('INVALID_ARGUMENT', 'store: must be a non-empty string', { field: 'store' });
  }
  return { id, op, store: store ?? '', args };
}
