import type { History, HistoryOp } from '../history/history-op.js';
import { grantsOf } from './grants.js';
import type { Grant } from './grants.js';
import { groupBy, violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';

const FENCED_WRITES: ReadonlySet<string> = new Set(['kv.put', 'kv.delete']);

/**
 * Property 3: no fenced write is accepted with a token lower than that of a grant acknowledged before the
 * write was sent: that grant came after the write's, so the write's was no longer the current one.
 * Only acknowledged writes count; an unknown one may never have been applied.
 */
export function checkStaleFence(history: History): PropertyResult {
  const writes = history.filter(
    (op) =>
      FENCED_WRITES.has(op.kind) && op.outcome === 'ok' && op.name !== undefined && op.token !== undefined,
  );
  // A highest-token check holds for locks only: a semaphore's or a reader's older grant stays valid.
  const grantsByName = groupBy(
    grantsOf(history).filter((grant) => grant.token !== undefined && grant.primitive === 'lock'),
    (grant) => grant.name,
  );
  const violations: Violation[] = [];
  for (const [name, ofName] of groupBy(writes, (op) => op.name)) {
    violations.push(...stale(name, ofName, grantsByName.get(name) ?? []));
  }
  return { checked: writes.length, violations };
}

function stale(name: string, writes: readonly HistoryOp[], grants: readonly Grant[]): Violation[] {
  const byAck = [...grants].sort((a, b) => a.fromMs - b.fromMs);
  const found: Violation[] = [];
  let highest: Grant | undefined;
  let next = 0;
  for (const write of [...writes].sort((a, b) => a.startMs - b.startMs)) {
    for (; next < byAck.length && byAck[next]!.fromMs < write.startMs; next++) {
      const grant = byAck[next]!;
      if (!highest || grant.token! > highest.token!) highest = grant;
    }
    if (highest && write.token! < highest.token!) {
      const message = `stale write to ${write.key ?? '?'} accepted: fenced by ${name} token ${write.token} after token ${highest.token} was granted`;
      found.push(violation('stale-fence', message, [highest.op, write]));
    }
  }
  return found;
}
