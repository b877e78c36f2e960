import { opLabel, opsByRoute, selectOp, specOf } from '@leasehold/core';
import type { OpName } from '@leasehold/core';

/** The routes outside the op table that are API ops too, with their labels on requests. */
const OTHER_OPS: ReadonlyMap<string, string> = new Map([
  ['GET /v1/:store/watch', 'watch'],
  ['POST /v1.0-alpha1/lock/:store', 'daprTryLock'],
  ['POST /v1.0-alpha1/unlock/:store', 'daprUnlock'],
  ['GET /v1.0/metadata', 'metadata'],
]);

/** A route's label, or the ops sharing it (chosen by the query); null for a route that is no op. */
type RouteOp = string | readonly OpName[] | null;

/**
 * Method -> route pattern -> what labels it, filled on first sight. Keyed by the router's own
 * strings, whose hashes are cached, so a request builds no key string to look up.
 */
const byMethod = new Map<string, Map<string, RouteOp>>();
let native: ReadonlyMap<string, readonly OpName[]> | undefined;

function routeOpOf(method: string, route: string): RouteOp {
  let byRoute = byMethod.get(method);
  if (!byRoute) byMethod.set(method, (byRoute = new Map<string, RouteOp>()));
  let found = byRoute.get(route);
  if (found === undefined) {
    const key = `${method} ${route}`;
    const ops = (native ??= opsByRoute()).get(key);
    // A route of one op that no query selects is that op whatever the query (selectOp).
    const only = ops?.length === 1 && !specOf(ops[0]!).selectBy ? opLabel(ops[0]!) : ops;
    found = OTHER_OPS.get(key) ?? only ?? null;
    byRoute.set(route, found);
  }
  return found;
}

/**
 * The `op` label of a request, by method and route pattern (and, on a route several ops share, its
 * query, as the route itself chooses); undefined for routes that are no API op (health, metrics, the page).
 */
export function httpOp(method: string, route: string, query: unknown): string | undefined {
  const found = routeOpOf(method, route);
  if (found === null) return undefined;
  if (typeof found === 'string') return found;
  const op = selectOp(found, (query ?? {}) as Record<string, unknown>);
  return op && opLabel(op);
}
