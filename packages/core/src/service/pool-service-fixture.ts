import { LocalStore } from '../engine/local-store.js';
import { runOp } from '../ops/op-handlers.js';
import type { OpName } from '../ops/op-table.js';
import type { OptionalCapability, Store } from '../store.js';
import type { Caller } from '../tenancy.js';
import { LeaseholdService } from './leasehold-service.js';

/** Two apps for tenancy cases. */
export const ORDERS: Caller = { appId: 'orders', role: 'app' };
export const BILLING: Caller = { appId: 'billing', role: 'app' };

/**
 * For the pooled services' tests: a service with `mem` (a memory store) and `plain` (one without
 * `lacking`, saying `reason`, as Redlock does), plus op and lease shorthands. Close `local` after.
 */
export function poolServiceFixture(lacking: OptionalCapability, reason: string) {
  const local = new LocalStore();
  const without: Store = {
    leases: local.leases,
    locks: local.locks,
    watch: local.watch,
    unsupported: { [lacking]: reason },
    ping: () => local.ping(),
    close: () => Promise.resolve(),
  };
  const service = new LeaseholdService([
    { name: 'mem', type: 'lock.memory', keyPrefix: 'appid', store: local },
    { name: 'plain', type: 'lock.redis', keyPrefix: 'appid', store: without },
  ]);
  const run = (caller: Caller, op: OpName, args: unknown, store = 'mem') =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test shorthand: cases read many ops' fields
    runOp(service, caller, store, op, args) as Promise<any>;
  const leaseOf = async (caller: Caller) =>
    ((await run(caller, 'leases.grant', { ttlMs: 30_000 })) as { id: string }).id;
  return { local, service, run, leaseOf };
}
