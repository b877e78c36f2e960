import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, renderVerdict } from '../checker/check.js';
import type { Verdict } from '../checker/check.js';
import type { Property } from '../checker/violation.js';
import { PROPERTIES } from '../checker/violation.js';
import type { History, HistoryOp } from '../history/history-op.js';
import { readHistory } from '../history/history-reader.js';
import type { PoolPrimitive } from './client-api.js';
import type { TortureOptions } from './run-torture.js';
import type { StorePools } from './store-pools.js';

/** What a run came to, as `summary.json` holds it. */
export interface TortureSummary {
  readonly store: TortureOptions['store'];
  readonly cluster: boolean;
  readonly servers: number;
  readonly clients: number;
  readonly seed: number;
  readonly seconds: number;
  readonly elapsedMs: number;
  readonly valid: boolean;
  readonly ops: number;
  /** Grants (acknowledged acquires and Dapr locks) the exclusion checks went over: locks, semaphores, read/write locks. */
  readonly grantsChecked: number;
  /** Of those, the semaphores' and the read/write locks'. */
  readonly poolGrantsChecked: Readonly<Record<PoolPrimitive, number>>;
  /** The permit-pool primitives the clients took: those the store has. */
  readonly pools: readonly PoolPrimitive[];
  /** Those the store lacks, which the clients did not take (why, one line each). */
  readonly skipped: readonly string[];
  /** Ops by outcome. */
  readonly outcomes: Record<string, number>;
  /** The fault kinds the schedule had, and how many of each it injected. */
  readonly faultsScheduled: readonly string[];
  readonly faults: Readonly<Record<string, number>>;
  readonly counts: Verdict['counts'];
  readonly violations: Readonly<Record<string, number>>;
  /** Properties the store does not promise: their violations are counted above but do not fail the run. */
  readonly notPromised: readonly Property[];
  /** Client processes still running past the grace period, killed (their last op is missing). */
  readonly stragglers: number;
}

/** The properties that go over grants, one per kind of primitive. */
const EXCLUSIONS: readonly Property[] = ['mutual-exclusion', 'permit-bound', 'rw-exclusion'];

/** A run's summary, its verdict and where its files are. */
export interface TortureResult {
  readonly summary: TortureSummary;
  readonly verdict: Verdict;
  readonly out: string;
}

/** The processes' histories as one: ordered by start (ties by process, then each process's own order), re-indexed. */
export function mergeHistories(histories: readonly History[]): HistoryOp[] {
  const ops = histories.flat();
  ops.sort((a, b) => a.startMs - b.startMs || a.process.localeCompare(b.process) || a.index - b.index);
  return ops.map((op, index) => ({ ...op, index }));
}

/** Merges the files, checks the history, writes `history.jsonl`, `verdict.txt` and `summary.json`. */
export function finish(run: {
  options: TortureOptions;
  out: string;
  files: readonly string[];
  injected: Readonly<Record<string, number>>;
  scheduled: readonly string[];
  stragglers: number;
  elapsedMs: number;
  pools: StorePools;
}): TortureResult {
  const { options, out } = run;
  const history = mergeHistories(
    run.files.filter((file) => existsSync(file)).map((file) => readHistory(file)),
  );
  writeFileSync(join(out, 'history.jsonl'), history.map((op) => JSON.stringify(op)).join('\n') + '\n');
  const verdict = promisedOnly(check(history), options.store);
  writeFileSync(join(out, 'verdict.txt'), renderVerdict(verdict, 50) + '\n');
  const outcomes: Record<string, number> = {};
  for (const op of history) outcomes[op.outcome] = (outcomes[op.outcome] ?? 0) + 1;
  const summary: TortureSummary = {
    store: options.store,
    cluster: options.cluster,
    servers: options.servers,
    clients: options.clients,
    seed: options.seed,
    seconds: options.seconds,
    elapsedMs: run.elapsedMs,
    valid: verdict.valid,
    ops: verdict.ops,
    grantsChecked: EXCLUSIONS.reduce((sum, property) => sum + verdict.counts[property].checked, 0),
    poolGrantsChecked: {
      semaphores: verdict.counts['permit-bound'].checked,
      rwlocks: verdict.counts['rw-exclusion'].checked,
    },
    pools: run.pools.pools,
    skipped: run.pools.skipped,
    outcomes,
    faultsScheduled: run.scheduled,
    faults: run.injected,
    counts: verdict.counts,
    violations: Object.fromEntries(PROPERTIES.map((p) => [p, verdict.counts[p].violated])),
    notPromised: NOT_PROMISED[options.store] ?? [],
    stragglers: run.stragglers,
  };
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return { summary, verdict, out };
}

/**
 * Properties a store does not promise, checked and counted but not held against it. On Redlock
 * (docs/stores-redis.md, "Redlock") keys are written to every master and read from a majority, not
 * linearizably, and the watch feed is each server's own, numbered by that server and not kept across
 * its restart.
 */
export const NOT_PROMISED: Readonly<Partial<Record<TortureOptions['store'], readonly Property[]>>> = {
  redlock: ['register', 'watch'],
};

/** The verdict with the violations of properties the store does not promise set aside. */
function promisedOnly(verdict: Verdict, store: TortureOptions['store']): Verdict {
  const waived = NOT_PROMISED[store] ?? [];
  const violations = verdict.violations.filter((found) => !waived.includes(found.property));
  return { ...verdict, valid: violations.length === 0, violations };
}

/** The verdict with the run's figures, as the CLI prints it. */
export function renderRun(result: TortureResult, maxShown = 10): string {
  const { summary } = result;
  const faults =
    Object.entries(summary.faults)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ') || 'none';
  return [
    `torture ${summary.store}${summary.cluster ? ' (cluster)' : ''}, ${summary.servers} server(s), ` +
      `${summary.clients} clients, seed ${summary.seed}, ${(summary.elapsedMs / 1_000).toFixed(1)} s`,
    `ops ${summary.ops} (${Object.entries(summary.outcomes)
      .map(([o, n]) => `${o} ${n}`)
      .join(', ')}), ` +
      `grants checked ${summary.grantsChecked} (semaphores ${summary.poolGrantsChecked.semaphores}, ` +
      `read/write locks ${summary.poolGrantsChecked.rwlocks}), faults: ${faults}` +
      (summary.stragglers > 0 ? `, ${summary.stragglers} client(s) killed at the end` : ''),
    ...summary.skipped,
    renderVerdict(result.verdict, maxShown),
    ...(NOT_PROMISED[summary.store] ?? []).map(
      (property) => `  (${property}: not promised on ${summary.store}; counted, not held against it)`,
    ),
    `files: ${result.out}`,
  ].join('\n');
}
