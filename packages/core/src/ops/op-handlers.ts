import { LeaseholdError } from '../errors.js';
import type { LockService } from '../lock-service.js';
import type { Caller } from '../tenancy.js';
import type { OpName, SpecOf } from './op-table.js';

/** An op's arguments as its handler reads them: a body is passed whole, the service checks it. */
export type OpArgs<K extends OpName> = SpecOf<K>['args'] extends 'body'
  ? unknown
  : { readonly [F in SpecOf<K>['fields'][number]]?: unknown };

/** A reply the HTTP API wraps (`{locks: [...]}`) is a list; any other is a JSON object. */
type OpReply<K extends OpName> = SpecOf<K> extends { readonly wrap: string } ? readonly unknown[] : object;

type Run<K extends OpName, R> = (
  service: LockService,
  caller: Caller,
  store: string,
  args: OpArgs<K>,
  signal: AbortSignal | undefined,
) => Promise<R>;

/** How an op runs against the service; an op that waits also says how to undo a late grant. */
export type OpHandler<K extends OpName> =
  SpecOf<K> extends { readonly waits: true }
    ? {
        readonly run: Run<K, OpReply<K>>;
        /** True when the result holds something its caller must learn of (a granted lock). */
        readonly granted: (result: never) => boolean;
        /** Gives back what a result nobody will receive still holds. */
        readonly undo: (
          service: LockService,
          caller: Caller,
          store: string,
          args: OpArgs<K>,
        ) => Promise<unknown>;
      }
    : { readonly run: Run<K, OpReply<K>> };

/** The handler of every op in OP_SPECS, and only those: the compiler holds the two halves together. */
export const OP_HANDLERS = {
  listStores: { run: (s, caller) => Promise.resolve(s.storesFor(caller)) },

  grantLease: { run: (s, caller, store, args) => s.grantLease(caller, store, args) },
  keepAlive: { run: (s, caller, store, args) => s.keepAlive(caller, store, args.leaseId) },
  revokeLease: { run: (s, caller, store, args) => s.revokeLease(caller, store, args.leaseId) },
  getLease: { run: (s, caller, store, args) => s.getLease(caller, store, args.leaseId) },
  leaseTimeToLive: {
    run: async (s, caller, store, args) => {
      try {
        const { id, ttlMs, remainingMs } = await s.getLease(caller, store, args.leaseId);
        return { id, live: true, ttlMs, remainingMs };
      } catch (error) {
        if (!(error instanceof LeaseholdError) || error.code !== 'LEASE_NOT_FOUND') throw error;
        return { id: String(args.leaseId), live: false };
      }
    },
  },
  listLeases: { run: (s, caller, store) => s.listLeases(caller, store) },

  acquire: {
    run: (s, caller, store, args, signal) => s.acquire(caller, store, args, signal),
    granted: (result: { acquired: boolean }) => result.acquired,
    undo: (s, caller, store, args) => s.release(caller, store, args),
  },
  release: { run: (s, caller, store, args) => s.release(caller, store, args) },
  forceRelease: { run: (s, caller, store, args) => s.forceRelease(caller, store, args) },
  describeLock: { run: (s, caller, store, args) => s.describeLock(caller, store, args.name) },
  listLocks: { run: (s, caller, store, args) => s.listLocks(caller, store, args.prefix) },
  checkLock: { run: (s, caller, store, args) => s.checkLock(caller, store, args.name, args.token) },
  describeQueue: { run: (s, caller, store, args) => s.describeQueue(caller, store, args.name) },
  listAllLocks: { run: (s, caller, store, args) => s.listAllLocks(caller, store, args.prefix) },
  overview: { run: (s, caller, store) => s.overview(caller, store) },

  put: { run: (s, caller, store, args) => s.put(caller, store, args) },
  get: { run: (s, caller, store, args) => s.get(caller, store, args.key) },
  listKeys: { run: (s, caller, store, args) => s.listKeys(caller, store, args) },
  delete: { run: (s, caller, store, args) => s.delete(caller, store, args.key) },

  counterAdd: { run: (s, caller, store, args) => s.counterAdd(caller, store, args) },
  counterGet: { run: (s, caller, store, args) => s.counterGet(caller, store, args.name) },
  counterSet: { run: (s, caller, store, args) => s.counterSet(caller, store, args) },
} satisfies { readonly [K in OpName]: OpHandler<K> };

/** What an op answers (before the HTTP API wraps it). */
export type OpResult<K extends OpName> = Awaited<ReturnType<(typeof OP_HANDLERS)[K]['run']>>;

type AnyRun = (
  service: LockService,
  caller: Caller,
  store: string,
  args: unknown,
  signal: AbortSignal | undefined,
) => Promise<unknown>;

/** Runs one op by name with its arguments (a body, a query or the path's parameters). */
export function runOp(
  service: LockService,
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
      undo: (service: LockService, caller: Caller, store: string, args: unknown) => Promise<unknown>;
    }
  | undefined {
  const handler = OP_HANDLERS[op];
  return 'undo' in handler ? (handler as never) : undefined;
}

/** The error for an op name that is not one. */
export function unknownOp(op: string): LeaseholdError {
  return new LeaseholdError('INVALID_ARGUMENT', `op: unknown operation "${op}"`, { field: 'op' });
}
