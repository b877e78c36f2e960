import { primitiveOf } from '../history/history-op.js';
import type { History, HistoryOp } from '../history/history-op.js';
import { grantsOf, holderOf } from './grants.js';
import type { Grant } from './grants.js';
import { groupBy, violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';

/**
 * Property 5: no grant ends before its TTL has run from the start of the last acknowledged keep-alive (or
 * before its holder lets go). Proof of an early end is an op sent after the grant was acknowledged and
 * answered before its window closed that saw it gone: a lock granted to another holder (asked for after
 * this grant was acknowledged, so it cannot have come first), a fenced write refused `FENCED`, a check
 * answering invalid, a describe showing the lock free or on another token, or a keep-alive answering
 * `LEASE_NOT_FOUND`. A read/write lock's grant is shown gone by a rival grant only where one of the two
 * is a write; a semaphore's by none (others share it). Unknown outcomes prove nothing.
 */
export function checkEarlyRelease(history: History): PropertyResult {
  const grants = grantsOf(history).filter((grant) => grant.untilMs > grant.fromMs);
  const byName = groupBy(history.filter(endsByName), (op) => op.name);
  const byLease = groupBy(history.filter(isLeaseGone), (op) => op.leaseId);
  for (const ops of [...byName.values(), ...byLease.values()]) ops.sort((a, b) => a.startMs - b.startMs);
  const violations: Violation[] = [];
  for (const grant of grants) {
    const seen =
      firstInWindow(grant, byName.get(grant.name) ?? [], (op) => endsGrant(grant, op)) ??
      firstInWindow(grant, byLease.get(grant.op.leaseId ?? '') ?? [], () => true);
    if (seen) violations.push(early(grant, seen));
  }
  return { checked: grants.length, violations };
}

/** Ops on a name that may show a grant of it gone. */
function endsByName(op: HistoryOp): boolean {
  switch (op.kind) {
    case 'lock.acquire':
    case 'lock.tryAcquire':
    case 'dapr.lock':
    case 'rwlock.acquire':
      return op.outcome === 'ok';
    case 'kv.put':
    case 'kv.delete':
      return op.outcome === 'fail' && op.error === 'FENCED';
    case 'lock.check':
      return op.outcome === 'ok' && op.valid === false;
    case 'lock.describe':
      return op.outcome === 'ok';
    default:
      return false;
  }
}

function isLeaseGone(op: HistoryOp): boolean {
  return op.kind === 'lease.keepAlive' && op.outcome === 'fail' && op.error === 'LEASE_NOT_FOUND';
}

/** Whether an op on the grant's name shows this very grant gone. */
function endsGrant(grant: Grant, op: HistoryOp): boolean {
  switch (op.kind) {
    // A lock's describe shows one holder; it says nothing of a semaphore's or a read/write lock's.
    case 'lock.describe':
      return (
        grant.primitive === 'lock' &&
        grant.limit === 1 &&
        (op.held === false || (op.token !== undefined && op.token !== grant.token))
      );
    case 'kv.put':
    case 'kv.delete':
    case 'lock.check':
      return grant.token !== undefined && op.token === grant.token;
    default:
      return holderOf(op) !== grant.holder && rivals(grant, op);
  }
}

/** Whether a grant `op` to another holder cannot stand beside `grant`. */
function rivals(grant: Grant, op: HistoryOp): boolean {
  if (grant.primitive !== primitiveOf(op.kind)) return false;
  if (grant.primitive === 'rwlock') return grant.mode !== 'read' || op.mode !== 'read';
  return grant.limit === 1;
}

/** The first op sent after the grant's acknowledgement and answered inside its window that matches. */
function firstInWindow(
  grant: Grant,
  sorted: readonly HistoryOp[],
  matches: (op: HistoryOp) => boolean,
): HistoryOp | undefined {
  for (let i = firstAtOrAfter(sorted, grant.fromMs); i < sorted.length; i++) {
    const op = sorted[i]!;
    if (op.startMs >= grant.untilMs) return undefined;
    if (op !== grant.op && op.endMs < grant.untilMs && matches(op)) return op;
  }
  return undefined;
}

/** Index of the first op whose start is at or after `atMs`, in ops sorted by start. */
function firstAtOrAfter(sorted: readonly HistoryOp[], atMs: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]!.startMs < atMs) low = mid + 1;
    else high = mid;
  }
  return low;
}

function early(grant: Grant, seen: HistoryOp): Violation {
  const message =
    `${grant.name} token ${grant.token ?? '?'} of ${grant.holder} ended early: ${seen.kind} at ${seen.endMs} ms, ` +
    `before its TTL ran out at ${grant.expiresAtMs} ms`;
  return violation('early-release', message, [grant.op, grant.renewedBy, seen]);
}
