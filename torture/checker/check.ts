import type { History } from '../history/history-op.js';
import { checkEarlyRelease } from './early-release.js';
import { checkLostAck } from './lost-ack.js';
import { checkMutualExclusion } from './mutual-exclusion.js';
import { checkPermitBound } from './permit-bound.js';
import { checkRegister } from './register.js';
import { checkRwExclusion } from './rw-exclusion.js';
import { checkStaleFence } from './stale-fence.js';
import { checkTokenOrder } from './token-order.js';
import { PROPERTIES } from './violation.js';
import type { Property, PropertyResult, Violation } from './violation.js';
import { checkWatchStreams } from './watch-streams.js';

/** Each property's check, in PROPERTIES' order. */
export const CHECKS: Readonly<Record<Property, (history: History) => PropertyResult>> = {
  'mutual-exclusion': checkMutualExclusion,
  'token-order': checkTokenOrder,
  'stale-fence': checkStaleFence,
  'lost-ack': checkLostAck,
  'early-release': checkEarlyRelease,
  register: checkRegister,
  watch: checkWatchStreams,
  'permit-bound': checkPermitBound,
  'rw-exclusion': checkRwExclusion,
};

/** A whole history's verdict: valid when no property is violated. */
export interface Verdict {
  readonly valid: boolean;
  readonly ops: number;
  readonly counts: Readonly<Record<Property, { readonly checked: number; readonly violated: number }>>;
  readonly violations: readonly Violation[];
}

/** Runs every property over the history. */
export function check(history: History): Verdict {
  const counts = {} as Record<Property, { checked: number; violated: number }>;
  const violations: Violation[] = [];
  for (const property of PROPERTIES) {
    const result = CHECKS[property](history);
    counts[property] = { checked: result.checked, violated: result.violations.length };
    violations.push(...result.violations);
  }
  return { valid: violations.length === 0, ops: history.length, counts, violations };
}

/** The verdict as text: a line per property, then each violation with its excerpt as JSON lines. */
export function renderVerdict(verdict: Verdict, maxShown = 20): string {
  const lines = [`${verdict.valid ? 'VALID' : 'INVALID'}: ${verdict.ops} ops`];
  for (const property of PROPERTIES) {
    const { checked, violated } = verdict.counts[property];
    lines.push(`  ${property.padEnd(17)} checked ${String(checked).padStart(7)}  violated ${violated}`);
  }
  for (const found of verdict.violations.slice(0, maxShown)) {
    lines.push(
      '',
      `[${found.property}] ${found.message}`,
      ...found.excerpt.map((op) => `  ${JSON.stringify(op)}`),
    );
  }
  const hidden = verdict.violations.length - maxShown;
  if (hidden > 0) lines.push('', `(${hidden} more violations not shown)`);
  return lines.join('\n');
}
