import { closeSync, openSync, writeSync } from 'node:fs';
import type { HistoryOp, OpKind, Outcome } from './history-op.js';

type Supplied = Omit<HistoryOp, 'index' | 'process' | 'kind' | 'startMs' | 'endMs' | 'outcome'>;

/** The fields a caller supplies: all but what the recorder stamps; undefined ones are left out. */
export type OpFields = { readonly [K in keyof Supplied]?: Supplied[K] | undefined };

/** Finishes an invoked operation with its outcome and what the reply said; returns the recorded op. */
export type Complete = (outcome: Outcome, reply?: OpFields) => HistoryOp;

/** Where the recorder sends each finished line (without its newline). */
export type LineSink = (line: string) => void;

/**
 * One clock for every process on this machine: wall time at the process's start plus a monotonic offset,
 * so ops recorded by several client processes compare without a step when NTP adjusts the wall clock.
 */
export const machineClock = (): number => performance.timeOrigin + performance.now();

interface Pending {
  readonly op: Omit<HistoryOp, 'endMs' | 'outcome'>;
}

/**
 * Records operations as JSON lines. A line is written when its op finishes, so the file is in completion
 * order; `index` keeps invocation order. Ops still pending at `close()` are written as `unknown`.
 */
export class HistoryRecorder {
  private nextIndex = 0;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    private readonly sink: LineSink,
    private readonly clock: () => number = machineClock,
    private readonly onClose: () => void = () => {},
  ) {}

  /** A recorder appending to `path` with synchronous writes, so a killed runner loses no finished line. */
  static toFile(path: string, clock?: () => number): HistoryRecorder {
    const fd = openSync(path, 'a');
    return new HistoryRecorder(
      (line) => writeSync(fd, `${line}\n`),
      clock,
      () => closeSync(fd),
    );
  }

  /** Stamps an op's start now; call the returned function once, when its reply (or its absence) is known. */
  invoke(process: string, kind: OpKind, request: OpFields = {}): Complete {
    const index = this.nextIndex++;
    const op = { index, process, kind, startMs: this.clock(), ...defined(request) };
    this.pending.set(index, { op });
    return (outcome, reply = {}) => this.finish(index, outcome, reply);
  }

  /** Records an instant: a watch event or error received, a fault applied. */
  instant(process: string, kind: OpKind, fields: OpFields = {}, outcome: Outcome = 'ok'): HistoryOp {
    const at = this.clock();
    return this.write({
      index: this.nextIndex++,
      process,
      kind,
      startMs: at,
      ...defined(fields),
      endMs: at,
      outcome,
    });
  }

  /** Writes every op still pending as `unknown`, then stops; later completions are ignored. */
  close(): void {
    if (this.closed) return;
    for (const index of [...this.pending.keys()]) this.finish(index, 'unknown', { error: 'unfinished' });
    this.closed = true;
    this.onClose();
  }

  private finish(index: number, outcome: Outcome, reply: OpFields): HistoryOp {
    const pending = this.pending.get(index);
    if (!pending) throw new Error(`history op ${index} was already completed`);
    this.pending.delete(index);
    return this.write({ ...pending.op, ...defined(reply), endMs: this.clock(), outcome });
  }

  private write(op: HistoryOp): HistoryOp {
    if (!this.closed) this.sink(JSON.stringify(op));
    return op;
  }
}

/** The fields that have a value, so a recorded op never carries an explicit undefined. */
function defined(fields: OpFields): Partial<Supplied> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
