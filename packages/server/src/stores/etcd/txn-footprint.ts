import type { ICompare, IRequestOp, ITxnRequest } from 'etcd3';

/** etcd's default --max-txn-ops: a transaction's widest list plus its widest nested one's (widthOf). */
export const MAX_TXN_OPS = 128;

/** A key range as byte strings (latin1, so string order is byte order); `end` '' means the one key. */
interface Span {
  readonly start: string;
  readonly end: string;
}

/** etcd's range end '\0': every key from the start on. */
const UNBOUNDED = '\0';

function spanOf(key: Buffer | undefined, rangeEnd: Buffer | undefined): Span {
  const start = key ? key.toString('latin1') : '';
  return { start, end: rangeEnd && rangeEnd.length > 0 ? rangeEnd.toString('latin1') : '' };
}

function contains(span: Span, key: string): boolean {
  if (span.end === '') return span.start === key;
  return key >= span.start && (span.end === UNBOUNDED || key < span.end);
}

/** Keys and ranges; single keys in a set, so the common case is one lookup. */
class KeySet {
  private readonly keys = new Set<string>();
  private readonly ranges: Span[] = [];

  add(span: Span): void {
    if (span.end === '') this.keys.add(span.start);
    else this.ranges.push(span);
  }

  addAll(other: KeySet): void {
    for (const key of other.keys) this.keys.add(key);
    for (const range of other.ranges) this.ranges.push(range);
  }

  has(key: string): boolean {
    return this.keys.has(key) || this.ranges.some((range) => contains(range, key));
  }

  /** True when some key may be in both. */
  meets(other: KeySet): boolean {
    for (const key of this.keys) if (other.has(key)) return true;
    for (const range of this.ranges) {
      for (const key of other.keys) if (contains(range, key)) return true;
      if (other.ranges.some((theirs) => overlap(range, theirs))) return true;
    }
    return false;
  }
}

function overlap(a: Span, b: Span): boolean {
  const endA = a.end === UNBOUNDED ? undefined : a.end;
  const endB = b.end === UNBOUNDED ? undefined : b.end;
  return (endB === undefined || a.start < endB) && (endA === undefined || b.start < endA);
}

/**
 * The keys a transaction writes and the keys it compares or reads. Transactions nested in one etcd
 * transaction see the state before it and may not write a key twice; two whose footprints are apart
 * commute, so committing them together is the same as committing them one after the other.
 */
export class Footprint {
  private readonly writes = new KeySet();
  private readonly reads = new KeySet();

  /** The footprint of one transaction, nested ones included. */
  static of(request: ITxnRequest): Footprint {
    const footprint = new Footprint();
    footprint.addTxn(request);
    return footprint;
  }

  /** True when one writes a key the other reads or writes. */
  conflicts(other: Footprint): boolean {
    return (
      this.writes.meets(other.writes) || this.writes.meets(other.reads) || this.reads.meets(other.writes)
    );
  }

  /** Takes in another's keys (a batch's footprint grows by each member). */
  absorb(other: Footprint): void {
    this.writes.addAll(other.writes);
    this.reads.addAll(other.reads);
  }

  private addTxn(request: ITxnRequest): void {
    for (const clause of request.compare ?? []) this.addCompare(clause);
    for (const op of request.success ?? []) this.addOp(op);
    for (const op of request.failure ?? []) this.addOp(op);
  }

  private addCompare(clause: ICompare): void {
    this.reads.add(spanOf(clause.key, clause.range_end));
  }

  private addOp(op: IRequestOp): void {
    if (op.request_put) this.writes.add(spanOf(op.request_put.key, undefined));
    const deleted = op.request_delete_range;
    if (deleted) this.writes.add(spanOf(deleted.key, deleted.range_end));
    const range = op.request_range;
    if (range) this.reads.add(spanOf(range.key, range.range_end));
    if (op.request_txn) this.addTxn(op.request_txn);
  }
}

/** True when the transaction writes nothing (etcd serves it as a read, outside Raft). */
export function isReadOnly(request: ITxnRequest): boolean {
  const ops = [...(request.success ?? []), ...(request.failure ?? [])];
  return ops.every(
    (op) => !op.request_put && !op.request_delete_range && (!op.request_txn || isReadOnly(op.request_txn)),
  );
}

/**
 * etcd's count of a transaction against --max-txn-ops: its widest list (compares, success or
 * failure), plus the widest nested transaction's, since a nested one may use only what is left.
 */
export function widthOf(request: ITxnRequest): number {
  const success = request.success ?? [];
  const failure = request.failure ?? [];
  const own = Math.max(request.compare?.length ?? 0, success.length, failure.length);
  let nested = 0;
  for (const op of [...success, ...failure]) {
    if (op.request_txn) nested = Math.max(nested, widthOf(op.request_txn));
  }
  return own + nested;
}

/** About how many bytes the transaction adds to a request (keys and values, plus a little per clause). */
export function bytesOf(request: ITxnRequest): number {
  let bytes = 0;
  for (const clause of request.compare ?? [])
    bytes += 16 + (clause.key?.length ?? 0) + (clause.range_end?.length ?? 0);
  for (const op of [...(request.success ?? []), ...(request.failure ?? [])]) {
    bytes += 16;
    bytes += (op.request_put?.key?.length ?? 0) + (op.request_put?.value?.length ?? 0);
    bytes += (op.request_delete_range?.key?.length ?? 0) + (op.request_delete_range?.range_end?.length ?? 0);
    bytes += (op.request_range?.key?.length ?? 0) + (op.request_range?.range_end?.length ?? 0);
    if (op.request_txn) bytes += bytesOf(op.request_txn);
  }
  return bytes;
}

/**
 * `writes` laid out within MAX_TXN_OPS beside `compares` compares: as they are when they fit, else in
 * nested transactions with no compares (each may use what the outer lists leave, see widthOf), so a
 * multi-lock of 64 names (three writes each) is still one transaction.
 */
export function packWrites(compares: number, writes: readonly IRequestOp[]): IRequestOp[] {
  if (Math.max(compares, writes.length) <= MAX_TXN_OPS) return [...writes];
  for (let chunks = 2; chunks <= writes.length; chunks++) {
    const size = Math.ceil(writes.length / chunks);
    if (Math.max(compares, chunks) + size > MAX_TXN_OPS) continue;
    const nested: IRequestOp[] = [];
    for (let at = 0; at < writes.length; at += size) {
      nested.push({ request_txn: { compare: [], success: writes.slice(at, at + size), failure: [] } });
    }
    return nested;
  }
  // Too many for etcd whatever the layout: it refuses the transaction, which the caller reports.
  return [...writes];
}
