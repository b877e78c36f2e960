import { COUNTER_OPS } from '../counters/counter-ops.js';
import { KV_OPS } from '../kv/kv-ops.js';
import { LEASE_OPS } from '../leases/lease-ops.js';
import { LOCK_OPS } from '../locks/lock-ops.js';
import { RWLOCK_OPS } from '../rwlocks/rwlock-ops.js';
import { SEMAPHORE_OPS } from '../semaphores/semaphore-ops.js';
import type { OpSpec } from './op-spec.js';
import { STORE_OPS } from './store-ops.js';

/**
 * Every op of the native API, once (DESIGN §4.3), named `<primitive>.<verb>` as the store
 * sub-interfaces and the SDK name them. Each primitive's folder holds its ops' data
 * (`leases/lease-ops.ts`, …); this file only merges them. The server's HTTP routes, the stream's
 * dispatch, the SDK's HTTP requests and its retry rule are all read from here; the handlers are
 * merged in op-handlers.ts, so this part stays free of the services and the engine.
 */
export const OP_SPECS = {
  ...STORE_OPS,
  ...LEASE_OPS,
  ...LOCK_OPS,
  ...KV_OPS,
  ...COUNTER_OPS,
  ...SEMAPHORE_OPS,
  ...RWLOCK_OPS,
} as const satisfies Record<string, OpSpec>;

/** One named op. */
export type OpName = keyof typeof OP_SPECS;

/** Every op name, in table order. */
export const OP_NAMES = Object.keys(OP_SPECS) as readonly OpName[];

/** The spec of one op, with its literal types. */
export type SpecOf<K extends OpName> = (typeof OP_SPECS)[K];

/** The spec of one op, read as the general shape. */
export function specOf(op: OpName): OpSpec {
  return OP_SPECS[op];
}

/** True when `op` names an op of the table (by its name, not a former one). */
export function isOpName(op: string): op is OpName {
  return Object.hasOwn(OP_SPECS, op);
}

/** Former names to ops, built on first use. */
let byAlias: ReadonlyMap<string, OpName> | undefined;

/** The op a request names: its name, or the former name an older SDK still sends; undefined if neither. */
export function opNamed(name: string): OpName | undefined {
  if (isOpName(name)) return name;
  byAlias ??= new Map(
    OP_NAMES.flatMap((op) => (specOf(op).alias === undefined ? [] : [[specOf(op).alias!, op]])),
  );
  return byAlias.get(name);
}

/** The `op` label of an op on metrics: its former name where it has one, so dashboards keep working. */
export function opLabel(op: OpName): string {
  return specOf(op).alias ?? op;
}
