import type { HistoryOp, OpKind } from '../history/history-op.js';

/** An op's fields beyond kind and times; outcome `ok` and process `c1` unless given. */
type Fields = Partial<Omit<HistoryOp, 'index' | 'kind' | 'startMs' | 'endMs'>>;

/** Writes histories for tests by hand, one op per call, numbering them in call order. */
export class HistoryBuilder {
  readonly ops: HistoryOp[] = [];

  /** Leases L1 and L2 (TTL 1000) from 0; L1 holds x with token 10 from 3 and lets it go over [5, 6]. */
  static released(outcome: HistoryOp['outcome'] = 'ok'): HistoryBuilder {
    const h = new HistoryBuilder();
    h.lease('L1', 0, 1000);
    h.lease('L2', 0, 1000);
    h.acquire('x', 'L1', 2, 3, { token: 10 });
    h.release('x', 'L1', 5, 6, { outcome });
    return h;
  }

  /** Adds one op run from `startMs` to `endMs`. */
  add(kind: OpKind, startMs: number, endMs: number, fields: Fields = {}): HistoryOp {
    const op: HistoryOp = {
      index: this.ops.length,
      process: 'c1',
      kind,
      startMs,
      endMs,
      outcome: 'ok',
      ...fields,
    };
    this.ops.push(op);
    return op;
  }

  /** Grants a lease of `ttlMs` over [startMs, startMs + 1]. */
  lease(leaseId: string, startMs: number, ttlMs: number, process = leaseId): HistoryOp {
    return this.add('lease.grant', startMs, startMs + 1, { leaseId, ttlMs, process });
  }

  /** Acquires `name` on a lease over [startMs, endMs] with the token given. */
  acquire(name: string, leaseId: string, startMs: number, endMs: number, fields: Fields = {}): HistoryOp {
    return this.add('lock.acquire', startMs, endMs, { name, leaseId, process: leaseId, ...fields });
  }

  /** Takes `permits` of semaphore `name` (limit 3 unless the fields say otherwise) over [startMs, endMs]. */
  permits(
    name: string,
    leaseId: string,
    startMs: number,
    endMs: number,
    permits: number,
    fields: Fields = {},
  ) {
    const request = { name, leaseId, process: leaseId, permits, limit: 3 };
    return this.add('semaphore.acquire', startMs, endMs, { ...request, ...fields });
  }

  /** Takes read/write lock `name` in `mode` over [startMs, endMs]. */
  rwlock(
    name: string,
    leaseId: string,
    mode: 'read' | 'write',
    startMs: number,
    endMs: number,
    fields: Fields = {},
  ) {
    return this.add('rwlock.acquire', startMs, endMs, { name, leaseId, mode, process: leaseId, ...fields });
  }

  /** Releases `name` held by a lease. */
  release(name: string, leaseId: string, startMs: number, endMs: number, fields: Fields = {}): HistoryOp {
    return this.add('lock.release', startMs, endMs, { name, leaseId, process: leaseId, ...fields });
  }

  /** A KV put, acknowledged at `revision` unless the fields say otherwise. */
  put(key: string, value: string, startMs: number, endMs: number, fields: Fields = {}): HistoryOp {
    return this.add('kv.put', startMs, endMs, { key, value, ...fields });
  }

  /** A watch event received at `atMs` on `stream`. */
  event(
    stream: string,
    key: string,
    revision: number,
    atMs: number,
    event: HistoryOp['event'] = 'put',
  ): HistoryOp {
    return this.add('watch.event', atMs, atMs, { stream, key, revision, event, process: stream });
  }
}
