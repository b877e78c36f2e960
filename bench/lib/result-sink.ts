import { appendFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Measured } from './closed-loop.js';

/** One measured row, as written to bench/results/<run>.jsonl. */
export interface BenchRow extends Partial<Measured> {
  readonly run: string;
  readonly scenario: string;
  readonly path: string;
  /** Workers in flight (uncontended, contended), or the scenario's size (leases, waiters). */
  readonly concurrency: number;
  readonly rep: number;
  readonly at: string;
  /** The machine's 1-minute load average when the row was taken. */
  readonly load1: number;
  /** Figures of scenarios that are not closed loops (RSS, heartbeat round trip, FIFO checks...). */
  readonly extra?: Record<string, number | string | boolean>;
}

/** Collects a run's rows and appends each to its JSON-lines file as it arrives. */
export class ResultSink {
  readonly rows: BenchRow[] = [];
  /** Why rows were not measured (a store without the capability), each said once. */
  readonly notes: string[] = [];
  readonly file: string;

  constructor(
    outDir: string,
    readonly run: string,
  ) {
    mkdirSync(outDir, { recursive: true });
    this.file = join(outDir, `${run}.jsonl`);
  }

  /**
   * Measures one row and records it; a failure is recorded as the row's error instead, so that one
   * broken path or store does not end the run.
   */
  async measure(
    key: Pick<BenchRow, 'scenario' | 'path' | 'concurrency' | 'rep'>,
    measure: () => Promise<Omit<BenchRow, 'run' | 'at' | 'load1' | keyof typeof key>>,
  ): Promise<void> {
    try {
      this.add({ ...key, ...(await measure()) });
    } catch (error) {
      this.add({ ...key, errors: 1, firstError: String((error as Error)?.message ?? error) });
    }
  }

  /** Prints and keeps a line about the run (a skipped row and why), once however often it is said. */
  note(text: string): void {
    if (this.notes.includes(text)) return;
    this.notes.push(text);
    console.log(text);
  }

  /** Records a row and prints a one-line summary of it. */
  add(row: Omit<BenchRow, 'run' | 'at' | 'load1'>): void {
    const full: BenchRow = { run: this.run, at: new Date().toISOString(), load1: loadavg()[0]!, ...row };
    this.rows.push(full);
    appendFileSync(this.file, `${JSON.stringify(full)}\n`);
    console.log(summary(full));
  }
}

function summary(row: BenchRow): string {
  const parts = [`${row.scenario} ${row.path} c=${row.concurrency} rep ${row.rep}:`];
  if (row.opsPerSec !== undefined) parts.push(`${row.opsPerSec.toLocaleString('en-US')}/s`);
  if (row.p50Ms !== undefined) parts.push(`p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, p99.9 ${row.p999Ms} ms`);
  if (row.cpu)
    parts.push(
      `cpu ${Object.entries(row.cpu)
        .map(([k, v]) => `${k} ${v}%`)
        .join(' ')}`,
    );
  if (row.extra) parts.push(JSON.stringify(row.extra));
  if (row.errors) parts.push(`${row.errors} errors (${row.firstError})`);
  return parts.join(' ');
}
