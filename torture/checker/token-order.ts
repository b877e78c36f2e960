import type { History } from '../history/history-op.js';
import { grantsOf } from './grants.js';
import type { Grant } from './grants.js';
import { groupBy, violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';

/**
 * Property 2: per name, a grant asked for after another grant was acknowledged carries a higher token,
 * and no two grants share a token. Grants that overlap in time may take effect in either order, so only
 * that real-time order, never the order of the replies, is held against the tokens.
 */
export function checkTokenOrder(history: History): PropertyResult {
  const grants = grantsOf(history).filter((grant) => grant.token !== undefined);
  const violations: Violation[] = [];
  for (const [name, ofName] of groupBy(grants, (grant) => grant.name)) {
    violations.push(...backwards(name, ofName), ...reused(name, ofName));
  }
  return { checked: grants.length, violations };
}

function backwards(name: string, grants: readonly Grant[]): Violation[] {
  const byEnd = [...grants].sort((a, b) => a.op.endMs - b.op.endMs);
  const byStart = [...grants].sort((a, b) => a.op.startMs - b.op.startMs);
  const found: Violation[] = [];
  let highest: Grant | undefined;
  let next = 0;
  for (const grant of byStart) {
    for (; next < byEnd.length && byEnd[next]!.op.endMs < grant.op.startMs; next++) {
      const done = byEnd[next]!;
      if (!highest || done.token! > highest.token!) highest = done;
    }
    if (highest && grant.token! <= highest.token!) {
      const message = `token of ${name} went backwards: ${highest.token} granted, then ${grant.token} asked for later`;
      found.push(violation('token-order', message, [highest.op, grant.op]));
    }
  }
  return found;
}

function reused(name: string, grants: readonly Grant[]): Violation[] {
  const found: Violation[] = [];
  for (const [token, same] of groupBy(grants, (grant) => String(grant.token))) {
    if (same.length < 2) continue;
    const message = `token ${token} of ${name} granted twice: ${same.map((grant) => grant.holder).join(', ')}`;
    found.push(
      violation(
        'token-order',
        message,
        same.map((grant) => grant.op),
      ),
    );
  }
  return found;
}
