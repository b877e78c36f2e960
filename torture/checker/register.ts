import type { History, HistoryOp } from '../history/history-op.js';
import { groupBy, violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';

/**
 * Property 6: each key is a linearizable register. A read returns the value of some write (a delete
 * writes "absent"; before any write the key is absent) that began before the read ended and that no
 * acknowledged write strictly supersedes: none began after it ended and ended before the read began.
 * An unknown write may land at any time, so it can supply a value but never supersedes, and is never
 * superseded. Refused writes did nothing. A key put with a lease may read absent once that put is
 * current, as the lease may have ended. Values should be unique per write for this to be sharp.
 */
export function checkRegister(history: History): PropertyResult {
  const isWrite = (op: HistoryOp) =>
    (op.kind === 'kv.put' || op.kind === 'kv.delete') && op.outcome !== 'fail';
  const writes = groupBy(history.filter(isWrite), (op) => op.key);
  const reads = history.filter((op) => op.kind === 'kv.read' && op.outcome === 'ok' && op.key !== undefined);
  const violations: Violation[] = [];
  for (const [key, ofKey] of groupBy(reads, (op) => op.key)) {
    const register = new Register(writes.get(key) ?? []);
    for (const read of ofKey) {
      const found = register.explain(read);
      if (found) violations.push(found);
    }
  }
  return { checked: reads.length, violations };
}

const valueOf = (op: HistoryOp): string | null => (op.kind === 'kv.delete' ? null : (op.value ?? null));

/** One key's writes, indexed to find each read's frontier: the latest start among writes done before it. */
class Register {
  /** Acknowledged writes by end, each with the one of latest start among it and those before it. */
  private readonly done: { readonly endMs: number; readonly latest: HistoryOp }[] = [];
  private readonly byValue: Map<string, HistoryOp[]>;
  /** Writes bound to a lease: the key may vanish with the lease, any time after such a write. */
  private readonly leaseBound: HistoryOp[];

  constructor(writes: readonly HistoryOp[]) {
    this.byValue = groupBy(writes, (op) => JSON.stringify(valueOf(op)));
    this.leaseBound = writes.filter((op) => op.kind === 'kv.put' && op.leaseId !== undefined);
    let latest: HistoryOp | undefined;
    for (const write of writes.filter((op) => op.outcome === 'ok').sort((a, b) => a.endMs - b.endMs)) {
      if (!latest || write.startMs > latest.startMs) latest = write;
      this.done.push({ endMs: write.endMs, latest });
    }
  }

  /** A violation when no write can explain the read's value, else undefined. */
  explain(read: HistoryOp): Violation | undefined {
    const frontier = this.frontier(read.startMs);
    const value = read.value ?? null;
    const fits = (write: HistoryOp) =>
      write.startMs < read.endMs &&
      (write.outcome === 'unknown' || !frontier || write.endMs >= frontier.startMs);
    const candidates = this.byValue.get(JSON.stringify(value)) ?? [];
    if (candidates.some(fits) || (value === null && (!frontier || this.leaseBound.some(fits))))
      return undefined;
    const source = candidates
      .filter((write) => write.startMs < read.endMs)
      .sort((a, b) => b.endMs - a.endMs)[0];
    const shown = value === null ? 'absent' : JSON.stringify(value);
    if (!source && value !== null) {
      return violation('register', `read of ${read.key} returned ${shown}, which no write wrote before`, [
        read,
      ]);
    }
    const message = `stale read of ${read.key}: ${shown}, superseded by ${JSON.stringify(valueOf(frontier!))} before the read began`;
    return violation('register', message, [...(source ? [source] : []), frontier!, read]);
  }

  /** The acknowledged write, among those done before `atMs`, that began last. */
  private frontier(atMs: number): HistoryOp | undefined {
    let [low, high] = [0, this.done.length];
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.done[mid]!.endMs < atMs) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? undefined : this.done[low - 1]!.latest;
  }
}
