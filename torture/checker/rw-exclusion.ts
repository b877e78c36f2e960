import type { History } from '../history/history-op.js';
import { grantsOf } from './grants.js';
import type { Grant } from './grants.js';
import { violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';
import { holders, sweepWindows, windowsOf, withRenewals } from './window-sweep.js';

/**
 * Read/write locks: a write grant is never valid beside any other grant of the lock, read or write;
 * reads may share. Validity is mutual exclusion's (acknowledgement to release, revoke or lease expiry).
 * A grant of unrecorded mode counts as a write: it can only make the check stricter.
 */
export function checkRwExclusion(history: History): PropertyResult {
  const grants = windowsOf(grantsOf(history), 'rwlock');
  return { checked: grants.length, violations: sweepWindows(grants, writerBesideOthers) };
}

function writerBesideOthers(name: string, newest: Grant, valid: ReadonlySet<Grant>): Violation | undefined {
  if (valid.size < 2) return undefined;
  const others = [...valid].filter((grant) => grant !== newest);
  // The newest is a writer beside anyone, or a reader beside a writer: show the pair.
  const rival = isWrite(newest) ? others[0] : others.find(isWrite);
  if (!rival) return undefined;
  const shown = [newest, rival];
  const message =
    `a write of ${name} valid beside another grant: ${holders(shown)} ` +
    `(${shown.map((grant) => grant.mode ?? 'write?').join(' and ')}) at ${newest.fromMs} ms`;
  return violation('rw-exclusion', message, withRenewals(shown));
}

function isWrite(grant: Grant): boolean {
  return grant.mode !== 'read';
}
