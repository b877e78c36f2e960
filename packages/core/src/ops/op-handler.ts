import type { LeaseholdService } from '../service/leasehold-service.js';
import type { Caller } from '../tenancy.js';
import type { OpName, SpecOf } from './op-table.js';

/** An op's arguments as its handler reads them: a body is passed whole, the service checks it. */
export type OpArgs<K extends OpName> = SpecOf<K>['args'] extends 'body'
  ? unknown
  : { readonly [F in SpecOf<K>['fields'][number]]?: unknown };

/** A reply the HTTP API wraps (`{locks: [...]}`) is a list; any other is a JSON object. */
type OpReply<K extends OpName> = SpecOf<K> extends { readonly wrap: string } ? readonly unknown[] : object;

type Run<K extends OpName, R> = (
  service: LeaseholdService,
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
          service: LeaseholdService,
          caller: Caller,
          store: string,
          args: OpArgs<K>,
        ) => Promise<unknown>;
      }
    : { readonly run: Run<K, OpReply<K>> };

/** The handlers of a set of ops, one per name and no more: the compiler holds data and handlers together. */
export type OpHandlers<Names extends OpName> = { readonly [K in Names]: OpHandler<K> };
