import { counterCases } from '../counters/counter-cases.js';
import { daprCases } from '../dapr/dapr-cases.js';
import { kvCases } from '../kv/kv-cases.js';
import { kvListCases } from '../kv/kv-list-cases.js';
import { leaseCases } from '../leases/lease-cases.js';
import { lockCases } from '../locks/lock-cases.js';
import { multiLockCases } from '../locks/multi-lock-cases.js';
import { multiLockRaceCases } from '../locks/multi-lock-race-cases.js';
import { multiLockWaitCases } from '../locks/multi-lock-wait-cases.js';
import { semaphoreCases } from '../semaphores/semaphore-cases.js';
import { semaphoreWaitCases } from '../semaphores/semaphore-wait-cases.js';
import { rwLockCases } from '../rwlocks/rwlock-cases.js';
import { rwLockWaitCases } from '../rwlocks/rwlock-wait-cases.js';
import type { Store } from '../store.js';
import { watchCases } from '../watch/watch-cases.js';
import type { Capability, ConformanceCase, ConformanceContext } from './context.js';
import { leaseBoundCases } from './lease-bound-cases.js';
import { tenancyCases } from './tenancy-cases.js';

/** The cases of one primitive, or of those that span primitives. */
export interface CaseGroup {
  readonly name: string;
  readonly cases: readonly ConformanceCase[];
}

/** The store contract, grouped: each primitive's cases from its folder, then the cross-primitive ones. */
export const CASE_GROUPS: readonly CaseGroup[] = [
  { name: 'leases', cases: leaseCases },
  { name: 'locks', cases: lockCases },
  { name: 'dapr', cases: daprCases },
  { name: 'kv', cases: [...kvCases, ...kvListCases] },
  { name: 'counters', cases: counterCases },
  { name: 'semaphores', cases: [...semaphoreCases, ...semaphoreWaitCases] },
  { name: 'rwlocks', cases: [...rwLockCases, ...rwLockWaitCases] },
  { name: 'multi-lock', cases: [...multiLockCases, ...multiLockWaitCases, ...multiLockRaceCases] },
  { name: 'watch', cases: watchCases },
  { name: 'lease-bound keys', cases: leaseBoundCases },
  { name: 'tenancy', cases: tenancyCases },
];

/** Every case, in suite order: each store runs those its capabilities allow, unchanged. */
export const conformanceCases: readonly ConformanceCase[] = CASE_GROUPS.flatMap((group) => group.cases);

/** Every capability a case may need. */
export const CAPABILITIES: readonly Capability[] = [
  'leases',
  'locks',
  'dapr',
  'kv',
  'counters',
  'semaphores',
  'rwlocks',
  'multiLock',
  'watch',
];

/** What every store has by its type: lacking one fails the cases that need it instead of skipping them. */
export const REQUIRED_CAPABILITIES: readonly Capability[] = ['leases', 'locks', 'watch'];

/** The timing a store needs, as the cases' context takes it. */
export type ConformanceTiming = Pick<ConformanceContext, 'ttlMs' | 'expirySlackMs'>;

/** The capabilities `store` offers; Dapr's API is always there, mapped by core where the store has none. */
export function capabilitySet(store: Store): ReadonlySet<Capability> {
  return new Set(CAPABILITIES.filter((c) => c === 'dapr' || store[c] !== undefined));
}

/** One case as planned for a set of capabilities. */
export interface PlannedCase {
  readonly case: ConformanceCase;
  readonly group: string;
  /** Unique within the suite, so cases sharing a store never collide. */
  readonly prefix: string;
  /** What the case needs that the store lacks; empty when it runs. */
  readonly missing: readonly Capability[];
  /** `skip` when only optional capabilities are missing, `fail` when a required one is. */
  readonly verdict: 'run' | 'skip' | 'fail';
  /** The case's name; a skipped one's says why: "<name> (store has no <capability>)". */
  readonly title: string;
  /** Runs the case on `store`; a `fail` case throws, naming the required capability the store lacks. */
  run(store: Store, timing: ConformanceTiming): Promise<void>;
}

/** The suite as planned for a set of capabilities, in groups and in suite order. */
export interface ConformancePlan {
  readonly groups: readonly { readonly name: string; readonly cases: readonly PlannedCase[] }[];
  readonly cases: readonly PlannedCase[];
  readonly skipped: readonly PlannedCase[];
  /** Lines naming every case skipped or failed for a missing capability; none when nothing is missing. */
  report(storeName: string): string[];
}

/** Plans the suite for a store offering `capabilities`: which cases run, skip, or fail. */
export function conformancePlan(capabilities: ReadonlySet<Capability>): ConformancePlan {
  let index = 0;
  const groups = CASE_GROUPS.map((group) => ({
    name: group.name,
    cases: group.cases.map((c) => planCase(c, group.name, `case${index++}/`, capabilities)),
  }));
  const cases = groups.flatMap((group) => group.cases);
  return {
    groups,
    cases,
    skipped: cases.filter((c) => c.verdict === 'skip'),
    report: (storeName) => reportMissing(storeName, cases),
  };
}

function planCase(
  c: ConformanceCase,
  group: string,
  prefix: string,
  capabilities: ReadonlySet<Capability>,
): PlannedCase {
  const missing = c.needs.filter((need) => !capabilities.has(need));
  const required = missing.filter((need) => REQUIRED_CAPABILITIES.includes(need));
  const verdict = required.length > 0 ? 'fail' : missing.length > 0 ? 'skip' : 'run';
  return {
    case: c,
    group,
    prefix,
    missing,
    verdict,
    title: verdict === 'skip' ? `${c.name} (store has no ${missing.join(', ')})` : c.name,
    async run(store, timing) {
      if (verdict === 'fail') {
        throw new Error(`the store has no ${required.join(', ')}, which every store must have`);
      }
      await c.run({ store, ...timing, prefix });
    },
  };
}

/** Skipped and failing cases, grouped by what the store lacks, one line each: meant to be printed loudly. */
function reportMissing(storeName: string, cases: readonly PlannedCase[]): string[] {
  const byMissing = new Map<string, PlannedCase[]>();
  for (const c of cases.filter((planned) => planned.verdict !== 'run')) {
    const key = `${c.verdict === 'fail' ? 'FAILING' : 'SKIPPED'}: ${storeName} has no ${c.missing.join(', ')}`;
    byMissing.set(key, [...(byMissing.get(key) ?? []), c]);
  }
  return [...byMissing].flatMap(([why, planned]) => [
    `*** ${planned.length} conformance case(s) ${why} ***`,
    ...planned.map((c) => `***   - ${c.case.name}`),
  ]);
}

/** The suite bound to one store: its plan, and a run of every case the store can take. */
export interface ConformanceSuite extends ConformancePlan {
  /** Runs each case that is not skipped, in order, stopping at the first failure; the names that ran. */
  run(timing: ConformanceTiming): Promise<{ ran: string[]; skipped: string[] }>;
}

/** The conformance suite for `store`, by the capabilities it has. */
export function conformanceSuite(store: Store): ConformanceSuite {
  const plan = conformancePlan(capabilitySet(store));
  return {
    ...plan,
    async run(timing) {
      const ran: string[] = [];
      for (const c of plan.cases.filter((planned) => planned.verdict !== 'skip')) {
        await c.run(store, timing);
        ran.push(c.case.name);
      }
      return { ran, skipped: plan.skipped.map((c) => c.title) };
    },
  };
}
