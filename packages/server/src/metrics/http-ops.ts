import { opLabel, opsByRoute, selectOp } from '@leasehold/core';
import type { OpName } from '@leasehold/core';

/** The routes outside the op table that are API ops too, with their labels on requests. */
const OTHER_OPS: ReadonlyMap<string, string> = new Map([
  ['GET /v1/:store/watch', 'watch'],
  ['POST /v1.0-alpha1/lock/:store', 'daprTryLock'],
  ['POST /v1.0-alpha1/unlock/:store', 'daprUnlock'],
  ['GET /v1.0/metadata', 'metadata'],
]);

/** The op table's routes, read on first use. */
let native: ReadonlyMap<string, readonly OpName[]> | undefined;

/**
 * The `op` label of a request, by method and route pattern (and, on a route several ops share, its
 * query, as the route itself chooses); undefined for routes that are no API op (health, metrics, the page).
 */
export function httpOp(method: string, route: string, query: unknown): string | undefined {
  const key = `${method} ${route}`;
  const other = OTHER_OPS.get(key);
  if (other !== undefined) return other;
  native ??= opsByRoute();
  const ops = native.get(key);
  const op = ops && selectOp(ops, (query ?? {}) as Record<string, unknown>);
  return op && opLabel(op);
}
