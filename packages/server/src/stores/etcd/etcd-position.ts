/**
 * Leasehold's revisions on etcd. Writes committed together (group commit, txn-batcher.ts) share one
 * etcd revision, so every revision and fencing token Leasehold reports on etcd is a position: the etcd
 * revision times 2^SUB_BITS plus an index within it (the change's place among the revision's events,
 * or a grant's slot in its batch). Positions are unique and rise with etcd's revisions (ADR 0017).
 */

/** Bits below etcd's revision: room for 4,096 changes (or grants) in one etcd revision. */
export const SUB_BITS = 12;
const SCALE = 2 ** SUB_BITS;
/** The last index within one etcd revision. */
export const LAST_INDEX = SCALE - 1;

/** The position of index `index` within etcd revision `revision`; an index past the room shares the last. */
export function position(revision: number | string, index: number): number {
  return Number(revision) * SCALE + Math.min(index, LAST_INDEX);
}

/** The etcd revision of a position. */
export function etcdRevisionOf(at: number): number {
  return Math.floor(at / SCALE);
}

/** The index within its etcd revision of a position. */
export function indexOf(at: number): number {
  return at % SCALE;
}
