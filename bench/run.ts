/**
 * `npm run bench`: Leasehold on every store beside its peers (redlock and raw SET NX on the same
 * Redis, the etcd3 Lock on the same etcd, a trivial node:http server), in one run on this machine.
 * Writes JSON lines to bench/results/ and appends the run's tables to bench/RESULTS.md.
 * `npm run bench -- --help` lists the flags; `--quick` checks the harness in about two minutes.
 */
import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../packages/server/test/support/server-process.js';
import { parseBenchOptions } from './lib/bench-options.js';
import type { BenchOptions } from './lib/bench-options.js';
import { Environment } from './lib/environment.js';
import { describeMachine, LoadWatch } from './lib/machine.js';
import { ResultSink } from './lib/result-sink.js';
import { renderRun } from './lib/results-table.js';
import { runContended } from './scenarios/contended.js';
import { runExpiryStorm } from './scenarios/expiry-storm-row.js';
import { runKeepAlive } from './scenarios/keep-alive.js';
import { runRwLock } from './scenarios/rwlock.js';
import { runSemaphore } from './scenarios/semaphore.js';
import { runUncontended } from './scenarios/uncontended.js';
import { runWaitersDrain } from './scenarios/waiters-drain.js';

/** Repeated scenarios interleave (every one per repetition); the heavy ones run once, at the end. */
async function runAll(env: Environment, options: BenchOptions, sink: ResultSink): Promise<void> {
  const wants = (name: Parameters<typeof options.scenarios.has>[0]) => options.scenarios.has(name);
  for (let rep = 1; rep <= options.reps; rep++) {
    if (wants('uncontended')) await runUncontended(env, options, sink, rep);
    if (wants('contended')) await runContended(env, options, sink, rep);
    if (wants('waiters')) await runWaitersDrain(env, options, sink, rep);
    if (wants('semaphore')) await runSemaphore(env, options, sink, rep);
    if (wants('rwlock')) await runRwLock(env, options, sink, rep);
  }
  if (wants('keep-alive')) await runKeepAlive(env, options, sink);
  if (wants('expiry-storm')) await runExpiryStorm(options, sink);
}

const options = parseBenchOptions(process.argv.slice(2), REPO_ROOT);
const run = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const sink = new ResultSink(options.outDir, run);
const machine = describeMachine(REPO_ROOT);
const load = new LoadWatch();
const env = new Environment({ etcdMembers: options.etcdMembers });
try {
  await runAll(env, options, sink);
} finally {
  await env.close();
}
const section = renderRun(sink.rows, {
  machine,
  options,
  load: load.stop(),
  run,
  rowsFile: relative(REPO_ROOT, sink.file),
  notes: sink.notes,
});
console.log(`\n${section}`);
if (options.append) {
  appendFileSync(join(REPO_ROOT, 'bench', 'RESULTS.md'), `\n${section}`);
  console.log('appended to bench/RESULTS.md');
}
console.log(`rows: ${sink.file}`);
const failed = sink.rows.filter((row) => (row.errors ?? 0) > 0);
if (failed.length > 0) {
  console.error(
    `${failed.length} rows had errors: ${failed.map((row) => `${row.scenario} ${row.path}`).join(', ')}`,
  );
  process.exitCode = 1;
}
