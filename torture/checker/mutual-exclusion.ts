import type { History, HistoryOp } from '../history/history-op.js';
import { grantsOf } from './grants.js';
import type { Grant } from './grants.js';
import { groupBy, violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';

/**
 * Property 1: at no instant do the valid grants of one name hold more permits than its limit (two grants
 * of a lock, whose limit is 1). Windows are half-open, so a grant acknowledged the instant another's
 * release starts does not overlap it.
 */
export function checkMutualExclusion(history: History): PropertyResult {
  const grants = grantsOf(history).filter((grant) => grant.untilMs > grant.fromMs);
  const violations: Violation[] = [];
  for (const [name, ofName] of groupBy(grants, (grant) => grant.name)) {
    violations.push(...sweep(name, ofName));
  }
  return { checked: grants.length, violations };
}

function sweep(name: string, grants: readonly Grant[]): Violation[] {
  // Ends sort before begins at the same instant: touching windows do not overlap.
  const edges = grants.flatMap((grant) => [
    { at: grant.fromMs, begins: true, grant },
    { at: grant.untilMs, begins: false, grant },
  ]);
  edges.sort((a, b) => a.at - b.at || Number(a.begins) - Number(b.begins));
  const valid = new Set<Grant>();
  const found: Violation[] = [];
  for (const edge of edges) {
    if (!edge.begins) {
      valid.delete(edge.grant);
      continue;
    }
    valid.add(edge.grant);
    const limit = Math.min(...[...valid].map((grant) => grant.limit));
    const held = [...valid].reduce((sum, grant) => sum + grant.permits, 0);
    if (held > limit) found.push(overlap(name, edge.grant, valid, limit));
  }
  return found;
}

/** The newest grant and the fewest of the others that, with it, exceed the limit; each with the op that kept it alive. */
function overlap(name: string, newest: Grant, valid: ReadonlySet<Grant>, limit: number): Violation {
  const others = [...valid].filter((grant) => grant !== newest).sort((a, b) => b.permits - a.permits);
  const shown = [newest];
  let held = newest.permits;
  for (const grant of others) {
    if (held > limit) break;
    shown.push(grant);
    held += grant.permits;
  }
  const ops: HistoryOp[] = shown.flatMap((grant) => [grant.op, grant.renewedBy]);
  const who = shown.map((grant) => `${grant.holder} (token ${grant.token ?? '?'})`).join(', ');
  const message =
    limit === 1
      ? `two grants of ${name} valid at once: ${who} at ${newest.fromMs} ms`
      : `${held} permits of ${name} valid at once, limit ${limit}: ${who} at ${newest.fromMs} ms`;
  return violation('mutual-exclusion', message, ops);
}
