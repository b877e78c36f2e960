import { GRANT_KINDS, primitiveOf } from '../history/history-op.js';
import type { History, HistoryOp, Primitive } from '../history/history-op.js';
import { groupBy } from './violation.js';

/**
 * An acknowledged grant and the window in which its holder may rely on it: from the acknowledgement until
 * the earliest of its release's start and its lease's expiry. The window is empty when `untilMs <= fromMs`.
 */
export interface Grant {
  readonly op: HistoryOp;
  readonly name: string;
  /** `lease:<id>` for native grants, `owner:<owner>` for Dapr locks (one implicit lease per grant). */
  readonly holder: string;
  readonly token: number | undefined;
  /** A lock (Dapr's too), a semaphore or a read/write lock: each has its own exclusion property. */
  readonly primitive: Primitive;
  /** The mode of a read/write lock's grant. */
  readonly mode: 'read' | 'write' | undefined;
  readonly permits: number;
  readonly limit: number;
  readonly fromMs: number;
  readonly untilMs: number;
  /** The lease's expiry as the history proves it (TTL after the start of the last op that renewed it), or the grant's hold deadline if sooner. */
  readonly expiresAtMs: number;
  /** The op whose start plus the TTL gives `expiresAtMs`: the grant, the lease's grant or a keep-alive. */
  readonly renewedBy: HistoryOp;
  /** The release, unlock or revoke whose start ends the window, if one does before the expiry. */
  readonly releasedBy: HistoryOp | undefined;
}

/** The kinds that let a grant go, each naming it by name and holder. */
export const RELEASE_KINDS: ReadonlySet<string> = new Set([
  'lock.release',
  'semaphore.release',
  'rwlock.release',
  'dapr.unlock',
]);

/** Who holds a grant or is named by a release: the lease, else the Dapr owner. */
export function holderOf(op: HistoryOp): string | undefined {
  if (op.leaseId !== undefined) return `lease:${op.leaseId}`;
  return op.owner === undefined ? undefined : `owner:${op.owner}`;
}

/** Every acknowledged grant of the history with its validity window; a repeated acknowledgement of one grant counts once. */
export function grantsOf(history: History): Grant[] {
  const leases = leaseRecords(history);
  const enders = endersOf(history);
  const seen = new Set<string>();
  const grants: Grant[] = [];
  const acknowledged = history.filter((op) => GRANT_KINDS.has(op.kind) && op.outcome === 'ok');
  for (const op of acknowledged.sort((a, b) => a.endMs - b.endMs)) {
    const holder = holderOf(op);
    if (op.name === undefined || holder === undefined) continue;
    // Acquiring a lock the lease already holds answers the same grant again (same token).
    const identity = `${op.name}|${holder}|${op.token ?? `#${op.index}`}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    grants.push(windowOf(op, op.name, holder, leases, enders));
  }
  return grants;
}

interface LeaseRecord {
  granted?: HistoryOp;
  /** Acknowledged keep-alives, by start. */
  readonly keepAlives: HistoryOp[];
}

function leaseRecords(history: History): Map<string, LeaseRecord> {
  const leases = new Map<string, LeaseRecord>();
  const recordOf = (id: string) => {
    let record = leases.get(id);
    if (!record) leases.set(id, (record = { keepAlives: [] }));
    return record;
  };
  for (const op of history) {
    if (op.outcome !== 'ok' || op.leaseId === undefined) continue;
    if (op.kind === 'lease.grant') recordOf(op.leaseId).granted = op;
    if (op.kind === 'lease.keepAlive') recordOf(op.leaseId).keepAlives.push(op);
  }
  for (const record of leases.values()) record.keepAlives.sort((a, b) => a.startMs - b.startMs);
  return leases;
}

/** Ops that end grants, by what they name: `name|holder` for releases, the lease id for revokes, the name for force-releases. */
interface Enders {
  readonly releases: Map<string, HistoryOp[]>;
  readonly revokes: Map<string, HistoryOp[]>;
  readonly forced: Map<string, HistoryOp[]>;
}

function endersOf(history: History): Enders {
  const releaseKey = (op: HistoryOp) => {
    const holder = holderOf(op);
    return RELEASE_KINDS.has(op.kind) && holder !== undefined ? `${op.name}|${holder}` : undefined;
  };
  return {
    releases: groupBy(history, releaseKey),
    revokes: groupBy(history, (op) => (op.kind === 'lease.revoke' ? op.leaseId : undefined)),
    forced: groupBy(history, (op) => (op.kind === 'lock.forceRelease' ? op.name : undefined)),
  };
}

function windowOf(
  op: HistoryOp,
  name: string,
  holder: string,
  leases: Map<string, LeaseRecord>,
  enders: Enders,
): Grant {
  const lease = expiryOf(op, leases);
  // A hold deadline runs from the grant, which took effect after it was asked for.
  const capped = op.maxHoldMs !== undefined && op.startMs + op.maxHoldMs < lease.expiresAtMs;
  const { expiresAtMs, renewedBy } = capped
    ? { expiresAtMs: op.startMs + op.maxHoldMs, renewedBy: op }
    : lease;
  const candidates = [
    ...(enders.releases.get(`${name}|${holder}`) ?? []),
    ...(op.leaseId === undefined ? [] : (enders.revokes.get(op.leaseId) ?? [])),
    ...(enders.forced.get(name) ?? []),
  ];
  // Any ender that finished after the grant was asked for may have ended it, whatever its outcome: the
  // holder stops relying on a lock once it lets go, and a shorter window can only hide a fault, not invent one.
  let releasedBy: HistoryOp | undefined;
  for (const ender of candidates) {
    if (ender.endMs < op.startMs) continue;
    if (!releasedBy || ender.startMs < releasedBy.startMs) releasedBy = ender;
  }
  const releasedAt = releasedBy?.startMs ?? Infinity;
  return {
    op,
    name,
    holder,
    token: op.token,
    primitive: primitiveOf(op.kind) ?? 'lock',
    mode: op.mode,
    permits: op.permits ?? 1,
    limit: op.limit ?? 1,
    fromMs: op.endMs,
    untilMs: Math.min(expiresAtMs, releasedAt),
    expiresAtMs,
    renewedBy,
    releasedBy: releasedAt < expiresAtMs ? releasedBy : undefined,
  };
}

/**
 * TTL after the start of the lease's grant (or of this grant, for a Dapr lock or a lease never seen
 * granted), pushed on by each acknowledged keep-alive that started while the lease was still alive. A
 * keep-alive started after that is ignored: the holder had already lost the lease. Unknown keep-alives
 * extend nothing, and a TTL never recorded gives an empty window.
 */
function expiryOf(
  op: HistoryOp,
  leases: Map<string, LeaseRecord>,
): { expiresAtMs: number; renewedBy: HistoryOp } {
  const lease = op.leaseId === undefined ? undefined : leases.get(op.leaseId);
  const basis = lease?.granted ?? op;
  const ttlMs = basis.ttlMs ?? op.ttlMs;
  if (ttlMs === undefined) return { expiresAtMs: op.endMs, renewedBy: basis };
  let expiresAtMs = basis.startMs + ttlMs;
  let renewedBy = basis;
  for (const keepAlive of lease?.keepAlives ?? []) {
    if (keepAlive.startMs > expiresAtMs) break;
    const renewed = keepAlive.startMs + (keepAlive.ttlMs ?? ttlMs);
    if (renewed > expiresAtMs) [expiresAtMs, renewedBy] = [renewed, keepAlive];
  }
  return { expiresAtMs, renewedBy };
}
