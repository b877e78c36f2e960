import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StoreKind } from './environment.js';

/** The scenarios of issue 12, then issue 14's semaphore and read/write lock rows, in the order a run takes them. */
export const SCENARIOS = [
  'uncontended',
  'contended',
  'waiters',
  'semaphore',
  'rwlock',
  'keep-alive',
  'expiry-storm',
] as const;

/** One of SCENARIOS. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** What one `npm run bench` does. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly reps: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly scenarios: ReadonlySet<ScenarioName>;
  /** Path names (or prefixes) to run; empty runs every path. */
  readonly paths: readonly string[];
  readonly concurrency: readonly number[];
  readonly stores: readonly StoreKind[];
  readonly waiters: number;
  /** Waiters on lock.etcd, which fails (STORE_ERROR) with a few thousand queued on one lock. */
  readonly etcdWaiters: number;
  readonly keepAliveLeases: readonly number[];
  readonly keepAliveSeconds: number;
  readonly stormLeases: number;
  readonly etcdMembers: number;
  readonly outDir: string;
  /** Append the run's tables to bench/RESULTS.md. */
  readonly append: boolean;
}

const USAGE = `npm run bench -- [--quick] [--scenarios a,b] [--paths p,q] [--concurrency 1,16,64]
  [--seconds 5] [--warmup 1] [--reps 3] [--stores memory,sqlite,redis,etcd] [--waiters 10000] [--etcd-waiters 1000]
  [--keep-alive 10000,100000] [--keep-alive-seconds 20] [--storm 1000000] [--etcd-members 1]
  [--out bench/results] [--no-append]
scenarios: ${SCENARIOS.join(', ')} (e.g. --scenarios semaphore,rwlock runs only issue 14's rows)`;

const list = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);

const numbers = (text: string | undefined): number[] | undefined => list(text)?.map(Number);

/** The command line's flags, all strings but the switches. */
const FLAGS = {
  quick: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
  scenarios: { type: 'string' },
  paths: { type: 'string' },
  concurrency: { type: 'string' },
  seconds: { type: 'string' },
  warmup: { type: 'string' },
  reps: { type: 'string' },
  stores: { type: 'string' },
  waiters: { type: 'string' },
  'etcd-waiters': { type: 'string' },
  'keep-alive': { type: 'string' },
  'keep-alive-seconds': { type: 'string' },
  storm: { type: 'string' },
  'etcd-members': { type: 'string' },
  out: { type: 'string' },
  'no-append': { type: 'boolean', default: false },
} as const;

/** Reads the command line; `--quick` changes the defaults, explicit flags still win. */
export function parseBenchOptions(argv: readonly string[], repoRoot: string): BenchOptions {
  const { values } = parseArgs({ args: [...argv], options: FLAGS });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const scenarios = (list(values.scenarios) ?? [...SCENARIOS]) as ScenarioName[];
  for (const name of scenarios) {
    if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario "${name}"\n${USAGE}`);
  }
  return {
    quick,
    reps: Number(values.reps ?? (quick ? 1 : 3)),
    warmupMs: 1000 * Number(values.warmup ?? (quick ? 0.3 : 1)),
    durationMs: 1000 * Number(values.seconds ?? (quick ? 1 : 5)),
    scenarios: new Set(scenarios),
    paths: list(values.paths) ?? [],
    concurrency: numbers(values.concurrency) ?? (quick ? [16] : [1, 16, 64]),
    stores: (list(values.stores) ?? ['memory', 'sqlite', 'redis', 'etcd']) as StoreKind[],
    waiters: Number(values.waiters ?? (quick ? 1_000 : 10_000)),
    etcdWaiters: Number(values['etcd-waiters'] ?? 1_000),
    keepAliveLeases: numbers(values['keep-alive']) ?? (quick ? [2_000] : [10_000, 100_000]),
    keepAliveSeconds: Number(values['keep-alive-seconds'] ?? (quick ? 4 : 20)),
    stormLeases: Number(values.storm ?? (quick ? 50_000 : 1_000_000)),
    etcdMembers: Number(values['etcd-members'] ?? 1),
    outDir: values.out ?? join(repoRoot, 'bench', 'results'),
    append: values['no-append'] !== true,
  };
}

/** True when `name` is selected by `--paths` (an exact name or a prefix), or no filter was given. */
export function pathSelected(options: BenchOptions, name: string): boolean {
  return (
    options.paths.length === 0 || options.paths.some((wanted) => name === wanted || name.startsWith(wanted))
  );
}

/** The SDK-stream path on each store of `--stores` that `--paths` selects. */
export function storePaths(options: BenchOptions): { store: StoreKind; path: string }[] {
  return options.stores
    .map((store) => ({ store, path: `sdk-stream/lock.${store}` }))
    .filter(({ path }) => pathSelected(options, path));
}
