import { afterAll, describe, expect, it } from 'vitest';
import { daprCases } from '../dapr/dapr-cases.js';
import { leaseCases } from '../leases/lease-cases.js';
import { LocalStore } from '../engine/local-store.js';
import { lockCases } from '../locks/lock-cases.js';
import { multiLockCases } from '../locks/multi-lock-cases.js';
import { multiLockRaceCases } from '../locks/multi-lock-race-cases.js';
import { multiLockWaitCases } from '../locks/multi-lock-wait-cases.js';
import { semaphoreCases } from '../semaphores/semaphore-cases.js';
import { semaphoreWaitCases } from '../semaphores/semaphore-wait-cases.js';
import { rwLockCases } from '../rwlocks/rwlock-cases.js';
import { rwLockWaitCases } from '../rwlocks/rwlock-wait-cases.js';
import type { Store } from '../store.js';
import type { Capability } from './context.js';
import { CAPABILITIES, capabilitySet, conformanceCases, conformancePlan, conformanceSuite } from './index.js';

const TIMING = { ttlMs: 300, expirySlackMs: 300 };

/** A LocalStore offering no keys, counters, semaphores, RW locks nor multi-locks, as a store without them would. */
function withoutKvAndCounters(full: LocalStore): Store {
  return {
    leases: full.leases,
    locks: full.locks,
    watch: full.watch,
    usage: (query) => full.usage(query),
    ping: () => full.ping(),
    stats: () => full.stats(),
    close: () => full.close(),
  };
}

describe('the conformance suite, by capability', () => {
  const full = new LocalStore();
  afterAll(() => full.close());

  it('plans every case to run on a store with every capability', () => {
    const suite = conformanceSuite(full);
    expect(suite.cases.map((c) => c.case.name)).toEqual(conformanceCases.map((c) => c.name));
    expect(suite.cases.every((c) => c.verdict === 'run')).toBe(true);
    expect(suite.skipped).toEqual([]);
    expect(suite.report('lock.memory')).toEqual([]);
    expect(suite.groups.map((g) => g.name)).toEqual([
      'leases',
      'locks',
      'dapr',
      'kv',
      'counters',
      'semaphores',
      'rwlocks',
      'multi-lock',
      'watch',
      'lease-bound keys',
      'tenancy',
    ]);
  });

  it('runs the cases a store without kv, counters and semaphores can take, and skips the rest by name', async () => {
    const store = withoutKvAndCounters(full);
    expect([...capabilitySet(store)]).toEqual(['leases', 'locks', 'dapr', 'watch']);
    const { ran, skipped } = await conformanceSuite(store).run(TIMING);
    expect(skipped).toEqual([
      'put, get and delete keep versions and revisions (store has no kv)',
      'ifVersion guards a put and a mismatch changes nothing (store has no kv)',
      'a fenced put is refused once its token is stale, and changes nothing (store has no kv)',
      'a put under an idempotency key applies once; a repeat replays the first result (store has no kv)',
      'keys are listed in UTF-8 byte order with their values, versions and revisions (store has no kv)',
      'a prefix lists exactly the keys that start with it (store has no kv)',
      'pages of `limit` keys after a cursor cover every key once, in order (store has no kv)',
      'deleted keys and the keys of a revoked or expired lease are not listed (store has no kv)',
      'a prefix never reaches into the key scope of another tenant (store has no kv)',
      'counters add, read and set (store has no counters)',
      'an add under an idempotency key applies once; a repeat returns the first value (store has no counters)',
      ...[...semaphoreCases, ...semaphoreWaitCases].map(
        (c) => `${c.name} (store has no ${c.needs.includes('kv') ? 'semaphores, kv' : 'semaphores'})`,
      ),
      ...[...rwLockCases, ...rwLockWaitCases].map(
        (c) => `${c.name} (store has no ${c.needs.includes('kv') ? 'rwlocks, kv' : 'rwlocks'})`,
      ),
      ...[...multiLockCases, ...multiLockWaitCases, ...multiLockRaceCases].map(
        (c) => `${c.name} (store has no multiLock)`,
      ),
      'a watch sees puts, deletes and lock events in revision order (store has no kv)',
      'a live watch sees every change made after it reported live (store has no kv)',
      'a resume replays each change after its revision once, in order, then goes on live (store has no kv)',
      'an unknown lease cannot acquire, keep alive or bind keys (store has no kv)',
      'revoking a lease releases its locks and deletes its keys together (store has no kv)',
      "another app's lease id reads exactly as a missing one, and nothing of it changes (store has no kv)",
      'usage counts leases and locks by app, keys and counters by key scope (store has no kv, counters)',
    ]);
    expect(ran).toEqual([
      ...[...leaseCases, ...lockCases, ...daprCases].map((c) => c.name),
      'a lease reports its app, and so do the locks it holds; an admin may use any lease',
      "a Dapr lock's implicit lease belongs to the app that took it",
      'lease ids are unguessable: two grants in a row share no run of digits',
    ]);
    expect(ran.length + skipped.length).toBe(conformanceCases.length);
  });

  it('reports skipped cases grouped by the capability the store lacks', () => {
    const report = conformanceSuite(withoutKvAndCounters(full)).report('lock.test');
    expect(report).toContain('*** 15 conformance case(s) SKIPPED: lock.test has no kv ***');
    expect(report).toContain('*** 2 conformance case(s) SKIPPED: lock.test has no counters ***');
    expect(report).toContain('***   - counters add, read and set');
    expect(report).toContain('*** 13 conformance case(s) SKIPPED: lock.test has no semaphores ***');
    expect(report).toContain('*** 1 conformance case(s) SKIPPED: lock.test has no semaphores, kv ***');
    expect(report).toContain('*** 12 conformance case(s) SKIPPED: lock.test has no rwlocks ***');
    expect(report).toContain('*** 1 conformance case(s) SKIPPED: lock.test has no rwlocks, kv ***');
    expect(report).toContain('*** 17 conformance case(s) SKIPPED: lock.test has no multiLock ***');
  });

  it('fails, rather than skips, the cases needing a capability every store must have', async () => {
    const noWatch = new Set<Capability>(CAPABILITIES.filter((c) => c !== 'watch'));
    const plan = conformancePlan(noWatch);
    const watchCase = plan.cases.find((c) => c.group === 'watch');
    expect(watchCase?.verdict).toBe('fail');
    expect(plan.skipped).toEqual([]);
    await expect(watchCase?.run(full, TIMING)).rejects.toThrow(/has no watch, which every store must have/);
    expect(plan.report('lock.test')[0]).toBe('*** 6 conformance case(s) FAILING: lock.test has no watch ***');
  });
});
