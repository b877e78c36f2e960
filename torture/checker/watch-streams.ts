import type { History, HistoryOp } from '../history/history-op.js';
import { groupBy, violation } from './violation.js';
import type { PropertyResult, Violation } from './violation.js';

/**
 * Property 7: each watch stream delivers every change under its prefix in revision order, once. A change
 * is known from any stream's events or from an acknowledged write's revision. A stream must deliver each
 * known change above its resume revision (or, opened fresh, above its first event, and every write sent
 * after it said `: watching`) up to its last event. Revisions never go down and no change comes twice. A
 * stream the server cannot serve whole ends with a `watch.error`, and nothing follows that error.
 */
export function checkWatchStreams(history: History): PropertyResult {
  const changes = knownChanges(history);
  const streams = groupBy(
    history.filter((op) => op.kind.startsWith('watch.')),
    (op) => op.stream,
  );
  const violations: Violation[] = [];
  for (const ops of streams.values()) {
    const stream = ops.sort((a, b) => a.index - b.index);
    violations.push(...orderAndDuplicates(stream), ...afterError(stream), ...gaps(stream, changes));
  }
  return { checked: streams.size, violations };
}

/** A change's identity: several changes may share a revision (one transaction), never all three fields. */
const identity = (op: HistoryOp, type = op.event): string => `${op.revision}|${op.key}|${type}`;

/** Every change the history proves happened, by identity, with the op that proves it. */
function knownChanges(history: History): Map<string, HistoryOp> {
  const changes = new Map<string, HistoryOp>();
  for (const op of history) {
    if (op.revision === undefined || op.key === undefined || op.outcome !== 'ok') continue;
    if (op.kind === 'watch.event') changes.set(identity(op), changes.get(identity(op)) ?? op);
    const type = op.kind === 'kv.put' ? 'put' : op.kind === 'kv.delete' ? 'delete' : undefined;
    if (type) changes.set(identity(op, type), op);
  }
  return changes;
}

function eventsOf(stream: readonly HistoryOp[]): HistoryOp[] {
  return stream.filter((op) => op.kind === 'watch.event' && op.revision !== undefined);
}

function orderAndDuplicates(stream: readonly HistoryOp[]): Violation[] {
  const found: Violation[] = [];
  const delivered = new Map<string, HistoryOp>();
  let last: HistoryOp | undefined;
  for (const event of eventsOf(stream)) {
    const first = delivered.get(identity(event));
    if (first) {
      const message = `watch ${event.stream} delivered ${event.event} ${event.key} at revision ${event.revision} twice`;
      found.push(violation('watch', message, [first, event]));
    } else if (last && event.revision! < last.revision!) {
      const message = `watch ${event.stream} went back from revision ${last.revision} to ${event.revision}`;
      found.push(violation('watch', message, [last, event]));
    }
    delivered.set(identity(event), first ?? event);
    if (!last || event.revision! > last.revision!) last = event;
  }
  return found;
}

function afterError(stream: readonly HistoryOp[]): Violation[] {
  const error = stream.find((op) => op.kind === 'watch.error');
  const late = error && stream.find((op) => op.kind === 'watch.event' && op.index > error.index);
  if (!error || !late) return [];
  return [
    violation('watch', `watch ${error.stream} delivered an event after its error ${error.error}`, [
      error,
      late,
    ]),
  ];
}

/** Known changes the stream had to deliver and did not, one violation per hole between two deliveries. */
function gaps(stream: readonly HistoryOp[], changes: ReadonlyMap<string, HistoryOp>): Violation[] {
  const open = stream.find((op) => op.kind === 'watch.open');
  const error = stream.find((op) => op.kind === 'watch.error');
  // Events after an error are already a violation; the stream's span ends at the error.
  const events = eventsOf(stream)
    .filter((event) => !error || event.index < error.index)
    .sort((a, b) => a.revision! - b.revision!);
  const lastEvent = events.at(-1);
  if (!open || open.key === undefined || !lastEvent) return [];
  const delivered = new Set(events.map((event) => identity(event)));
  const prefix = open.key;
  const missing = [...changes]
    .filter(([id, proof]) => !delivered.has(id) && proof.key!.startsWith(prefix))
    .map(([, proof]) => proof)
    .filter((proof) => proof.revision! <= lastEvent.revision! && isOwed(proof, open, events[0]!))
    .sort((a, b) => a.revision! - b.revision!);
  const holes = groupBy(missing, (proof) => String(events.findIndex((e) => e.revision! > proof.revision!)));
  return [...holes].map(([next, skipped]) => hole(open, events, Number(next), skipped, !error));
}

/** Whether a stream owes a change: above its resume revision, or, opened fresh, above its first event or sent after `: watching`. */
function isOwed(proof: HistoryOp, open: HistoryOp, first: HistoryOp): boolean {
  if (open.revision !== undefined) return proof.revision! > open.revision;
  if (proof.revision! > first.revision!) return true;
  return proof.kind !== 'watch.event' && open.outcome === 'ok' && proof.startMs > open.endMs;
}

/** The hole before `events[next]` (after the last event when -1), shown by its neighbours and its first change. */
function hole(
  open: HistoryOp,
  events: readonly HistoryOp[],
  next: number,
  skipped: readonly HistoryOp[],
  silent: boolean,
): Violation {
  const at = next === -1 ? events.length : next;
  const before = at > 0 ? events[at - 1]! : open;
  const after = events[at];
  const first = skipped[0]!;
  const revisions = `${first.revision}${skipped.length > 1 ? `..${skipped.at(-1)!.revision}` : ''}`;
  const excerpt = [before, first, ...(after ? [after] : [])];
  if (at === 0 && open.revision !== undefined && silent) {
    const message =
      `watch ${open.stream} resumed after revision ${open.revision} but began at ${after!.revision}: ` +
      `${skipped.length} changes (${revisions}) skipped with no error event (a silent compaction?)`;
    return violation('watch', message, excerpt);
  }
  const from = before.revision ?? 'its start';
  const where = after ? `between ${from} and ${after.revision}` : `after ${from}`;
  return violation(
    'watch',
    `watch ${open.stream} missed ${skipped.length} changes (revisions ${revisions}) ${where}`,
    excerpt,
  );
}
