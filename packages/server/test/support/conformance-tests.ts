import type { OptionalCapability, Store } from '@leasehold/core';
import type { Capability, ConformanceTiming } from '@leasehold/core/conformance';
import { CAPABILITIES, capabilitySet, conformancePlan } from '@leasehold/core/conformance';
import { describe, it } from 'vitest';

/** What a store's conformance test may say beyond its timing. */
export interface ConformanceOptions {
  /** The optional capabilities a store passed as a getter lacks (a store passed itself is asked). */
  readonly lacks?: readonly OptionalCapability[];
}

/**
 * Core's conformance suite as vitest tests, one describe per group. A case needing an optional
 * capability the store lacks is an `it.skip` titled "<case> (store has no <capability>)", and the
 * skips are printed loudly; a case needing a capability every store must have fails instead.
 * `store` may be a getter for a store opened in `beforeAll`: the plan is then made, before the store
 * exists, for every capability but `lacks`, and each case first checks that the store agrees.
 */
export function conformanceTests(
  storeName: string,
  store: Store | (() => Store),
  timing: ConformanceTiming,
  options: ConformanceOptions = {},
): void {
  const current = typeof store === 'function' ? store : () => store;
  const planned =
    typeof store === 'function'
      ? new Set(CAPABILITIES.filter((c) => !(options.lacks ?? []).some((lacked) => lacked === c)))
      : capabilitySet(store);
  const plan = conformancePlan(planned);
  const report = plan.report(storeName);
  if (report.length > 0) console.warn(`\n${report.join('\n')}\n`);
  for (const group of plan.groups) {
    describe(group.name, () => {
      for (const c of group.cases) {
        if (c.verdict === 'skip') {
          it.skip(c.title);
          continue;
        }
        it(c.title, () => {
          const opened = current();
          expectCapabilities(storeName, opened, planned);
          return c.run(opened, timing);
        });
      }
    });
  }
}

/** Fails when the store offers other capabilities than its cases were planned for. */
function expectCapabilities(storeName: string, store: Store, planned: ReadonlySet<Capability>): void {
  const offered = [...capabilitySet(store)];
  if (offered.length === planned.size && offered.every((c) => planned.has(c))) return;
  throw new Error(
    `${storeName} offers ${offered.join(', ')} but its conformance cases were planned for ` +
      `${[...planned].join(', ')}: name what it lacks (options.lacks), or pass the store itself`,
  );
}
