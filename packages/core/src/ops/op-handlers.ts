import { COUNTER_HANDLERS } from '../counters/counter-handlers.js';
import { LeaseholdError } from '../errors.js';
import { KV_HANDLERS } from '../kv/kv-handlers.js';
import { LEASE_HANDLERS } from '../leases/lease-handlers.js';
import { LOCK_HANDLERS } from '../locks/lock-handlers.js';
import { RWLOCK_HANDLERS } from '../rwlocks/rwlock-handlers.js';
import { SEMAPHORE_HANDLERS } from '../semaphores/semaphore-handlers.js';
import type { LeaseholdService } from '../service/leasehold-service.js';
import type { Caller } from '../tenancy.js';
import type { OpHandlers } from './op-handler.js';
import type { OpName } from './op-table.js';
import { STORE_HANDLERS } from './store-handlers.js';

export type { OpArgs, OpHandler, OpHandlers } from './op-handler.js';

/**
 * The handler of every op in OP_SPECS, and only those: each primitive's folder holds its own
 * (`leases/lease-handlers.ts`, …), each slice checked against its ops, and the whole against the table.
 */
export const OP_HANDLERS = {
  ...STORE_HANDLERS,
  ...LEASE_HANDLERS,
  ...LOCK_HANDLERS,
  ...KV_HANDLERS,
  ...COUNTER_HANDLERS,
  ...SEMAPHORE_HANDLERS,
  ...RWLOCK_HANDLERS,
} satisfies OpHandlers<OpName>;

/** What an op answers (before the HTTP API wraps it). */
export type OpResult<K extends OpName> = Awaited<ReturnType<(typeof OP_HANDLERS)[K]['run']>>;

type AnyRun = (
  service: LeaseholdService,
  caller: Caller,
  store: string,
  args: unknown,
  signal: AbortSignal | undefined,
) => Promise<unknown>;

/** Runs one op by name with its arguments (a body, a query or the path's parameters). */
export function runOp(
  service: LeaseholdService,
  caller: Caller,
  store: string,
  op: OpName,
  args: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  return (OP_HANDLERS[op].run as AnyRun)(service, caller, store, args, signal);
}

/** The wait hooks of an op that waits, or undefined. */
export function waitHooksOf(op: OpName):
  | {
      granted: (result: unknown) => boolean;
      undo: (service: LeaseholdService, caller: Caller, store: string, args: unknown) => Promise<unknown>;
    }
  | undefined {
  const handler = OP_HANDLERS[op];
  return 'undo' in handler ? (handler as never) : undefined;
}

/** The error for an op name that is not one. */
export function unknownOp(op: string): LeaseholdError {
  return new LeaseholdError('INVALID_ARGUMENT', `op: unknown operation "${op}"`, { field: 'op' });
}
