import { LeaseholdError } from './errors.js';
import type { LockService } from './lock-service.js';
import type { Caller } from './tenancy.js';

/** The LockService operations a transport may name (the client stream, the SDK's in-process mode). */
export const SERVICE_OPS = [
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
  'listKeys',
  'delete',
  'counterAdd',
  'counterGet',
  'counterSet',
] as const;

/** One named operation. */
export type ServiceOp = (typeof SERVICE_OPS)[number];

const OPS: ReadonlySet<string> = new Set(SERVICE_OPS);

/** True when `op` names a service operation. */
export function isServiceOp(op: string): op is ServiceOp {
  return OPS.has(op);
}

/** The error for an operation name that is not one. */
export function unknownOp(op: string): LeaseholdError {
  return new LeaseholdError('INVALID_ARGUMENT', `op: unknown operation "${op}"`, { field: 'op' });
}

/** Runs one named operation with its arguments object: the only op-to-method table. */
export function callServiceOp(
  service: LockService,
  caller: Caller,
  store: string,
  op: ServiceOp,
  args: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  switch (op) {
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
    case 'listKeys':
      return service.listKeys(caller, store, args);
    case 'delete':
      return service.delete(caller, store, args.key);
    case 'counterAdd':
      return service.counterAdd(caller, store, args);
    case 'counterGet':
      return service.counterGet(caller, store, args.name);
    case 'counterSet':
      return service.counterSet(caller, store, args);
  }
}
