import type { HistoryOp } from '../history/history-op.js';
import type { Grant } from './grants.js';
import { groupBy, violation } from './violation.js';
import type { Property, Violation } from './violation.js';

/**
 * Walks the windows of each name's grants in time order and asks `judge`, at each grant's start, about
 * the grants valid at that instant (the new one among them). Ends sort before begins at one instant:
 * windows are half-open, so a grant acknowledged the instant another's release starts does not overlap it.
 */
export function sweepWindows(
  grants: readonly Grant[],
  judge: (name: string, newest: Grant, valid: ReadonlySet<Grant>) => Violation | undefined,
): Violation[] {
  const found: Violation[] = [];
  for (const [name, ofName] of groupBy(grants, (grant) => grant.name)) {
    const edges = ofName.flatMap((grant) => [
      { at: grant.fromMs, begins: true, grant },
      { at: grant.untilMs, begins: false, grant },
    ]);
    edges.sort((a, b) => a.at - b.at || Number(a.begins) - Number(b.begins));
    const valid = new Set<Grant>();
    for (const edge of edges) {
      if (!edge.begins) {
        valid.delete(edge.grant);
        continue;
      }
      valid.add(edge.grant);
      const verdict = judge(name, edge.grant, valid);
      if (verdict) found.push(verdict);
    }
  }
  return found;
}

/** The grants of `primitive` whose window is not empty. */
export function windowsOf(grants: readonly Grant[], primitive: Grant['primitive']): Grant[] {
  return grants.filter((grant) => grant.primitive === primitive && grant.untilMs > grant.fromMs);
}

/**
 * A judge for permit counts: a violation of `property` when the valid grants hold more permits than the
 * lowest limit any of them was granted under, showing the newest grant and the fewest others that, with
 * it, exceed that limit, each with the op that kept it alive.
 */
export function overLimit(property: Property) {
  return (name: string, newest: Grant, valid: ReadonlySet<Grant>): Violation | undefined => {
    const limit = Math.min(...[...valid].map((grant) => grant.limit));
    const total = [...valid].reduce((sum, grant) => sum + grant.permits, 0);
    if (total <= limit) return undefined;
    const others = [...valid].filter((grant) => grant !== newest).sort((a, b) => b.permits - a.permits);
    const shown = [newest];
    let held = newest.permits;
    for (const grant of others) {
      if (held > limit) break;
      shown.push(grant);
      held += grant.permits;
    }
    const message =
      limit === 1
        ? `two grants of ${name} valid at once: ${holders(shown)} at ${newest.fromMs} ms`
        : `${held} permits of ${name} valid at once, limit ${limit}: ${holders(shown)} at ${newest.fromMs} ms`;
    return violation(property, message, withRenewals(shown));
  };
}

/** Each grant as the excerpt shows it: the holder and its token. */
export function holders(grants: readonly Grant[]): string {
  return grants.map((grant) => `${grant.holder} (token ${grant.token ?? '?'})`).join(', ');
}

/** The grants' ops and the ops that kept each alive, for an excerpt. */
export function withRenewals(grants: readonly Grant[]): HistoryOp[] {
  return grants.flatMap((grant) => [grant.op, grant.renewedBy]);
}
