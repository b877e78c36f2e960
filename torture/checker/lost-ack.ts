import { GRANT_KINDS } from '../history/history-op.js';
import type { History, HistoryOp } from '../history/history-op.js';
import { RELEASE_KINDS, grantsOf, holderOf } from './grants.js';
import type { Grant } from './grants.js';
import { groupBy, violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';

/**
 * Property 4: nothing acknowledged is later contradicted, as it would be when a restart or fail-over
 * loses it. A grant is lost when a describe sent after it shows a lower token as current; a release or
 * revoke when its grant's token is later seen current (describe, check, accepted fenced write) or its
 * lease is kept alive or granted a lock; a write when a read sent after it shows an older revision, or
 * nothing at all. Only acknowledged effects count, and only ops sent after the acknowledgement.
 */
export function checkLostAck(history: History): PropertyResult {
  const grants = grantsOf(history).filter((grant) => grant.token !== undefined);
  const released = releasedGrants(history, grants);
  const writes = history.filter(
    (op) => (op.kind === 'kv.put' || op.kind === 'kv.delete') && op.outcome === 'ok',
  );
  const violations = [
    ...lostGrants(history, grants),
    ...lostReleases(history, released),
    ...lostWrites(history, writes),
  ];
  return { checked: grants.length + released.length + writes.length, violations };
}

function lostGrants(history: History, grants: readonly Grant[]): Violation[] {
  const byName = groupBy(grants, (grant) => grant.name);
  const found: Violation[] = [];
  for (const seen of history) {
    if (seen.kind !== 'lock.describe' || seen.outcome !== 'ok' || !seen.held || seen.token === undefined)
      continue;
    const newer = (byName.get(seen.name ?? '') ?? []).find(
      (grant) => grant.fromMs < seen.startMs && grant.token! > seen.token!,
    );
    if (!newer) continue;
    const message = `grant of ${newer.name} token ${newer.token} lost: later described as held with token ${seen.token}`;
    found.push(violation('lost-ack', message, [newer.op, seen]));
  }
  return found;
}

/** A grant whose release or revoke was acknowledged, at the acknowledgement. */
interface Released {
  readonly grant: Grant;
  readonly by: HistoryOp;
}

function releasedGrants(history: History, grants: readonly Grant[]): Released[] {
  const released: Released[] = [];
  const byHolder = groupBy(grants, (grant) => `${grant.name}|${grant.holder}`);
  const byLease = groupBy(grants, (grant) => grant.op.leaseId);
  for (const op of history) {
    if (op.outcome !== 'ok') continue;
    if (RELEASE_KINDS.has(op.kind)) {
      // The grant it let go: that holder's latest grant of the name asked for before the release.
      const mine = (byHolder.get(`${op.name}|${holderOf(op)}`) ?? []).filter(
        (g) => g.op.startMs < op.startMs,
      );
      const grant = mine.sort((a, b) => b.fromMs - a.fromMs)[0];
      if (grant) released.push({ grant, by: op });
    }
    if (op.kind === 'lease.revoke' && op.leaseId !== undefined) {
      for (const grant of byLease.get(op.leaseId) ?? []) {
        if (grant.op.startMs < op.startMs) released.push({ grant, by: op });
      }
    }
  }
  return released;
}

/** Whether an op shows a token as its lock's current grant. */
function showsCurrent(op: HistoryOp): boolean {
  if (op.outcome !== 'ok' || op.token === undefined || op.name === undefined) return false;
  if (op.kind === 'lock.describe') return op.held === true;
  if (op.kind === 'lock.check') return op.valid === true;
  return op.kind === 'kv.put' || op.kind === 'kv.delete';
}

/** Whether an op shows a lease alive: an acknowledged keep-alive, or a grant on it. */
function showsLease(op: HistoryOp): boolean {
  return op.outcome === 'ok' && (op.kind === 'lease.keepAlive' || GRANT_KINDS.has(op.kind));
}

function lostReleases(history: History, released: readonly Released[]): Violation[] {
  const byToken = groupBy(history.filter(showsCurrent), (op) => `${op.name}|${op.token}`);
  const byLease = groupBy(history.filter(showsLease), (op) => op.leaseId);
  const found: Violation[] = [];
  for (const { grant, by } of released) {
    const current = (byToken.get(`${grant.name}|${grant.token}`) ?? []).find((op) => op.startMs > by.endMs);
    const revokedLease = by.kind === 'lease.revoke' ? grant.op.leaseId : undefined;
    const alive = (byLease.get(revokedLease ?? '') ?? []).find((op) => op.startMs > by.endMs);
    const seen = current ?? alive;
    if (!seen) continue;
    const what = by.kind === 'lease.revoke' ? `revoke of lease ${revokedLease}` : `release of ${grant.name}`;
    const message = `${what} (token ${grant.token}) lost: ${seen.kind} later shows it ${current ? 'current' : 'alive'}`;
    found.push(violation('lost-ack', message, [grant.op, by, seen]));
  }
  return found;
}

function lostWrites(history: History, writes: readonly HistoryOp[]): Violation[] {
  const byKey = groupBy(writes, (op) => op.key);
  const deletes = groupBy(
    history.filter((op) => op.kind === 'kv.delete' && op.outcome !== 'fail'),
    (op) => op.key,
  );
  const found: Violation[] = [];
  for (const read of history) {
    if (read.kind !== 'kv.read' || read.outcome !== 'ok' || read.key === undefined) continue;
    const before = (byKey.get(read.key) ?? []).filter((write) => write.endMs < read.startMs);
    const lost = before.find((write) => isContradicted(write, read, deletes.get(read.key!) ?? []));
    if (!lost) continue;
    const shown = read.value === null || read.value === undefined ? 'nothing' : `revision ${read.revision}`;
    const message = `write to ${read.key} at revision ${lost.revision} lost: a later read shows ${shown}`;
    found.push(violation('lost-ack', message, [lost, read]));
  }
  return found;
}

/**
 * A read shows an older revision than an acknowledged write, or nothing after an acknowledged put that no
 * delete could have followed (lease-bound keys may vanish with their lease, so they are left out).
 */
function isContradicted(write: HistoryOp, read: HistoryOp, deletes: readonly HistoryOp[]): boolean {
  if (write.revision !== undefined && read.revision !== undefined) return read.revision < write.revision;
  const absent = read.value === null || read.value === undefined;
  if (!absent || write.kind !== 'kv.put' || write.leaseId !== undefined) return false;
  return !deletes.some((del) => del.endMs > write.startMs && del.startMs < read.endMs);
}
