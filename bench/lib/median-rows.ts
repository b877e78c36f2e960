import type { BenchRow } from './result-sink.js';

/** Counts where any repetition's problem matters: the worst one is kept, not the median. */
const WORST_OF = new Set(['errors', 'fifoViolations', 'overlaps', 'lost']);

/** A row's figures by field name; CPU by role as `cpu.<role>`, extras by their own names. */
export type Figures = Record<string, number | string>;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One row per scenario, path and concurrency: the median of the repetitions, field by field. */
export function medianRows(rows: readonly BenchRow[]): Map<string, Figures> {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const key = `${row.scenario}|${row.path}|${row.concurrency}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const result = new Map<string, Figures>();
  for (const [key, group] of groups) {
    const flat = group.map(flatten);
    const figures: Figures = { ...flat[0]!, reps: group.length };
    for (const field of Object.keys(flat[0]!)) {
      const values = flat.map((f) => f[field]).filter((v): v is number => typeof v === 'number');
      if (values.length === group.length && field !== 'concurrency' && field !== 'rep') {
        figures[field] = WORST_OF.has(field) ? Math.max(...values) : median(values);
      }
    }
    result.set(key, figures);
  }
  return result;
}

function flatten(row: BenchRow): Figures {
  const figures: Figures = { scenario: row.scenario, path: row.path, concurrency: row.concurrency };
  for (const [key, value] of Object.entries(row)) if (typeof value === 'number') figures[key] = value;
  for (const [role, percent] of Object.entries(row.cpu ?? {})) figures[`cpu.${role}`] = percent;
  for (const [key, value] of Object.entries(row.extra ?? {})) {
    if (typeof value === 'number' || typeof value === 'string') figures[key] = value;
  }
  return figures;
}
