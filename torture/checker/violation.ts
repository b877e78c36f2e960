import type { HistoryOp } from '../history/history-op.js';

/** The seven properties of issue 13, in its order, then the semaphores' and read/write locks' of issue 14. */
export const PROPERTIES = [
  'mutual-exclusion',
  'token-order',
  'stale-fence',
  'lost-ack',
  'early-release',
  'register',
  'watch',
  'permit-bound',
  'rw-exclusion',
] as const;

/** One property's name. */
export type Property = (typeof PROPERTIES)[number];

/** A fault found: what broke, and the fewest ops of the history that show it, in invocation order. */
export interface Violation {
  readonly property: Property;
  readonly message: string;
  readonly excerpt: readonly HistoryOp[];
}

/** What one property's check found: how many things it checked and what broke. */
export interface PropertyResult {
  readonly checked: number;
  readonly violations: Violation[];
}

/** Builds a violation whose excerpt is the given ops, de-duplicated and in invocation order. */
export function violation(property: Property, message: string, ops: readonly HistoryOp[]): Violation {
  const excerpt = [...new Set(ops)].sort((a, b) => a.index - b.index);
  return { property, message, excerpt };
}

/** Groups items by a key, keeping their order; items with no key are left out. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
