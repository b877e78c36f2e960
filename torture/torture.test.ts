/**
 * A short torture run per store (issue 13): clients, faults (the backend's too) and the checker, end to
 * end. Each run must come out clean and must have done real work: grants checked (semaphores' and read/write
 * locks' too where the store has them), and every scheduled kind of fault injected. `TORTURE_SECONDS` sets
 * the length (40 by default: every fault kind comes up at least once); longer runs are `npm run torture`.
 */
import { describe, expect, it } from 'vitest';
import { describeWithBackend } from '../packages/server/test/support/backends.js';
import { renderRun } from './runner/finish.js';
import { runTorture } from './runner/run-torture.js';
import type { TortureOptions } from './runner/run-torture.js';

const SECONDS = Number(process.env.TORTURE_SECONDS ?? 40);
/** Set-up, the clients' last ops, the merge and the check, on top of the run itself. */
const TIMEOUT_MS = SECONDS * 1_000 + 120_000;
/**
 * At least one grant checked per six seconds of run: far below a quiet machine's (about 1.5 a second), low
 * enough for a machine whose load keeps a restarted server down for ten seconds.
 */
const MIN_GRANTS = Math.max(3, Math.floor(SECONDS / 6));

async function tortured(options: Omit<TortureOptions, 'seconds' | 'clients'>): Promise<void> {
  const result = await runTorture({ ...options, seconds: SECONDS, clients: 4 });
  const { summary } = result;
  const report = renderRun(result);
  expect(summary.valid, report).toBe(true);
  expect(
    summary.grantsChecked,
    `too few grants checked: ${report} (histories: ${result.out})`,
  ).toBeGreaterThanOrEqual(MIN_GRANTS);
  expect(summary.counts['stale-fence'].checked).toBeGreaterThan(0);
  // Together, not each: a 40 s run under a restarted server may see only a handful of either.
  const poolGrants = summary.poolGrantsChecked.semaphores + summary.poolGrantsChecked.rwlocks;
  if (summary.pools.length > 0) expect(poolGrants, summary.pools.join(', ')).toBeGreaterThan(0);
  expect(summary.counts.watch.checked).toBeGreaterThan(0);
  for (const kind of summary.faultsScheduled)
    expect(summary.faults[kind] ?? 0, kind).toBeGreaterThanOrEqual(1);
  expect(summary.stragglers).toBe(0);
}

describe('torture', () => {
  it(
    'memory: clients frozen past their TTL',
    () => tortured({ store: 'memory', cluster: false, servers: 1, seed: 11 }),
    TIMEOUT_MS,
  );
  it(
    'sqlite: a server killed and restarted',
    () => tortured({ store: 'sqlite', cluster: false, servers: 1, seed: 12 }),
    TIMEOUT_MS,
  );
});

describeWithBackend('redis-server', 'torture on redis', () => {
  it(
    'two servers sharing one Redis',
    () => tortured({ store: 'redis', cluster: false, servers: 2, seed: 13 }),
    TIMEOUT_MS,
  );
  it(
    'redlock over three masters',
    () => tortured({ store: 'redlock', cluster: false, servers: 1, seed: 14 }),
    TIMEOUT_MS,
  );
});

describeWithBackend('etcd', 'torture on etcd', () => {
  it(
    'two servers sharing a three-member cluster',
    () => tortured({ store: 'etcd', cluster: true, servers: 2, seed: 15 }),
    TIMEOUT_MS,
  );
});
