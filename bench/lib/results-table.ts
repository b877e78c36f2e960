import type { BenchOptions } from './bench-options.js';
import type { Machine } from './machine.js';
import { medianRows } from './median-rows.js';
import type { Figures } from './median-rows.js';
import type { BenchRow } from './result-sink.js';

/** A column: its title and how a row's figures print in it (`medians` serves the ratio columns). */
type Column = readonly [title: string, cell: (f: Figures, medians: Map<string, Figures>) => string];

const num =
  (field: string, digits = 0) =>
  (f: Figures): string => {
    const value = f[field];
    return typeof value === 'number'
      ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
      : '–';
  };

const msText = (value: number | string | undefined): string =>
  typeof value === 'number' ? (value < 10 ? value.toFixed(2) : value.toFixed(0)) : '–';

const ms = (field: string) => (f: Figures) => msText(f[field]);

const pair = (a: (f: Figures) => string, b: (f: Figures) => string) => (f: Figures) => `${a(f)} (${b(f)})`;

/** The ratio of a row's ops/s to a peer's in the same scenario at the same concurrency. */
const ratioTo = (peer: string) => (f: Figures, medians: Map<string, Figures>) => {
  const other = medians.get(`${f.scenario}|${peer}|${f.concurrency}`);
  const ratio = Number(f.opsPerSec) / Number(other?.opsPerSec);
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–';
};

const PATH: Column = ['path', (f) => `\`${f.path}\``];
const LATENCIES: Column[] = [
  ['p50 ms', ms('p50Ms')],
  ['p99 ms', ms('p99Ms')],
  ['p99.9 ms', ms('p999Ms')],
];
const CPU: Column = [
  'CPU % client / server / backend',
  (f) =>
    [f['cpu.client'], f['cpu.server'], f['cpu.redis'] ?? f['cpu.etcd']]
      .filter((v) => v !== undefined)
      .map((v) => Math.round(Number(v)))
      .join(' / '),
];
const CHECKS: Column[] = [
  ['FIFO violations', num('fifoViolations')],
  ['overlaps', num('overlaps')],
  ['errors', num('errors')],
];

/** Each table of a run: its scenario, title and columns. */
const TABLES: readonly { scenario: string; title: string; columns: readonly Column[] }[] = [
  {
    scenario: 'uncontended',
    title: 'Uncontended: one acquire and one release per cycle, each worker on its own lock',
    columns: [
      PATH,
      ['c', num('concurrency')],
      ['cycles/s', num('opsPerSec')],
      ...LATENCIES,
      CPU,
      ['server µs/cycle', num('serverUsPerOp')],
      ['× redlock', ratioTo('redlock')],
      ['× SET NX', ratioTo('redis-set-nx')],
      ['× etcd3', ratioTo('etcd3-lock')],
      ['× trivial', ratioTo('trivial-http')],
      ['errors', num('errors')],
    ],
  },
  {
    scenario: 'contended',
    title:
      'Contended: 16 workers on one lock, blocking waits; latencies are hand-offs (release to next grant)',
    columns: [
      PATH,
      ['workers', num('concurrency')],
      ['hand-offs/s', num('opsPerSec')],
      ...LATENCIES,
      ...CHECKS,
      CPU,
    ],
  },
  {
    scenario: 'waiters',
    title: 'Waiters drained: N queued on one held lock, each releasing when served; latencies are hand-offs',
    columns: [
      PATH,
      ['waiters', num('concurrency')],
      ['drain s', num('seconds', 2)],
      ['hand-offs/s', num('opsPerSec')],
      ...LATENCIES,
      ...CHECKS,
      CPU,
      ['server RSS MiB', num('serverRssMiB')],
    ],
  },
  {
    scenario: 'semaphore',
    title:
      'Contended semaphore: 16 workers, limit 4, one permit each, blocking waits; latencies are hand-offs ' +
      '(a release to the grant it made room for); redis-semaphore polls with its defaults and promises no order',
    columns: [
      PATH,
      ['workers', num('concurrency')],
      ['cycles/s', num('opsPerSec')],
      ...LATENCIES,
      ['× redis-semaphore', ratioTo('redis-semaphore')],
      ['longest wait ms', ms('longestWaitMs')],
      ['out of arrival order', num('fifoViolations')],
      ['grants past the limit', num('overlaps')],
      ['errors', num('errors')],
      CPU,
    ],
  },
  {
    scenario: 'rwlock',
    title:
      'Contended read/write lock: 16 workers (4 write, 12 read), blocking waits; latencies are acquire waits ' +
      '(request to grant)',
    columns: [
      PATH,
      ['workers', num('concurrency')],
      ['cycles/s', num('opsPerSec')],
      ...LATENCIES,
      ['write p50 / p99 ms', (f) => `${msText(f.writeP50Ms)} / ${msText(f.writeP99Ms)}`],
      ['reads / writes', (f) => `${num('reads')(f)} / ${num('writes')(f)}`],
      ['writes beside others', num('overlaps')],
      ['errors', num('errors')],
      CPU,
    ],
  },
  {
    scenario: 'keep-alive',
    title: 'Keep-alive: N leases each holding one lock, one SDK client (its own process), stream heartbeat',
    columns: [
      PATH,
      ['leases', num('concurrency')],
      ['heartbeat ms', num('heartbeatMs')],
      ['grants/s', num('grantsPerSec')],
      ['server CPU %', num('cpu.server', 1)],
      ['client CPU %', num('cpu.client', 1)],
      ['heartbeat RTT p50 / max ms', (f) => `${msText(f.heartbeatP50Ms)} / ${msText(f.heartbeatMaxMs)}`],
      ['heartbeats', num('heartbeats')],
      ['lost', num('lost')],
      ['server RSS (peak) MiB', pair(num('serverRssMiB'), num('serverPeakRssMiB'))],
      ['client RSS (peak) MiB', pair(num('clientRssMiB'), num('clientPeakRssMiB'))],
    ],
  },
  {
    scenario: 'expiry-storm',
    title: 'Expiry storm: N leases lapsing at one instant in the memory engine (bench/expiry-storm.ts)',
    columns: [
      PATH,
      ['leases', num('concurrency')],
      ['time to expire all s', num('seconds', 2)],
      ['leases/s', num('opsPerSec')],
      ['worst stall ms (wall / own CPU)', (f) => `${msText(f.worstStallMs)} / ${msText(f.worstStallCpuMs)}`],
      ['p99 loop delay ms', ms('p99LoopDelayMs')],
      ['peak RSS MiB', num('peakRssMiB')],
    ],
  },
];

function table(columns: readonly Column[], rows: Figures[], medians: Map<string, Figures>): string[] {
  return [
    `| ${columns.map(([title]) => title).join(' | ')} |`,
    // The path column reads left to right; every other column holds figures.
    `|${columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((f) => `| ${columns.map(([, cell]) => cell(f, medians)).join(' | ')} |`),
  ];
}

function header(context: RunContext): string[] {
  const { machine, options, load } = context;
  const packages = Object.entries(machine.packages).map(([name, version]) => `${name} ${version}`);
  const members = `${options.etcdMembers} member${options.etcdMembers > 1 ? 's' : ''}, data in /dev/shm`;
  const reps = `${options.reps} repetition${options.reps > 1 ? 's' : ''} interleaved`;
  return [
    `## Side by side, ${context.run.slice(0, 10)} ${context.run.slice(11, 16).replace('-', ':')} UTC (\`npm run bench${options.quick ? ' -- --quick' : ''}\`)`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; redis-server ${machine.redis}; etcd ${machine.etcd} (${members}).`,
    `Packages: ${packages.join(', ')}.`,
    `Method: ${reps}, ${options.durationMs / 1000} s each after ${options.warmupMs / 1000} s of warm-up, median of the repetitions (keep-alive and the storm once). Load average (1 min) ${load.low.toFixed(1)}–${load.high.toFixed(1)} during the run, on ${machine.cores} cores. Raw rows: \`${context.rowsFile}\`.`,
  ];
}

function errorLine(row: BenchRow): string {
  return `- \`${row.path}\` (${row.concurrency}, repetition ${row.rep}): ${row.errors} error(s), first: ${row.firstError}`;
}

/** Where and how a run was measured. */
export interface RunContext {
  readonly machine: Machine;
  readonly options: BenchOptions;
  readonly load: { low: number; high: number };
  readonly run: string;
  readonly rowsFile: string;
  /** Rows not measured and why (a store without the capability). */
  readonly notes?: readonly string[];
}

/** The run as a dated Markdown section for bench/RESULTS.md: one table per scenario measured. */
export function renderRun(rows: readonly BenchRow[], context: RunContext): string {
  const medians = medianRows(rows);
  const lines = header(context);
  for (const { scenario, title, columns } of TABLES) {
    const selected = [...medians.values()].filter((f) => f.scenario === scenario);
    selected.sort((a, b) => Number(a.concurrency) - Number(b.concurrency));
    if (selected.length > 0) lines.push('', `### ${title}`, '', ...table(columns, selected, medians));
    const failed = rows.filter((row) => row.scenario === scenario && row.firstError !== undefined);
    if (failed.length > 0) lines.push('', 'Errors:', ...failed.map(errorLine));
  }
  if (context.notes?.length) lines.push('', 'Not measured:', ...context.notes.map((note) => `- ${note}`));
  return `${lines.join('\n')}\n`;
}
