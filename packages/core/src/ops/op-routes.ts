import type { OpName } from './op-table.js';
import { OP_NAMES, specOf } from './op-table.js';

/** The ops of each HTTP route, keyed `METHOD path` (the path as the table writes it), in table order. */
export function opsByRoute(): Map<string, OpName[]> {
  const routes = new Map<string, OpName[]>();
  for (const op of OP_NAMES) {
    const key = `${specOf(op).method} ${specOf(op).path}`;
    routes.set(key, [...(routes.get(key) ?? []), op]);
  }
  return routes;
}

/**
 * Which of the ops sharing a route a request runs: the first whose `selectBy` argument its query
 * carries, else the one without `selectBy` (the op table's test holds there is exactly one).
 */
export function selectOp(
  ops: readonly OpName[],
  query: Readonly<Record<string, unknown>>,
): OpName | undefined {
  const selected = ops.find((op) => specOf(op).selectBy?.some((name) => query[name] !== undefined));
  return selected ?? ops.find((op) => specOf(op).selectBy === undefined);
}
