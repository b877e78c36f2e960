import { invalidArgument } from '../errors.js';
import type { Limits } from '../limits.js';
import { checkOptionalInteger } from '../limits.js';
import { asBody, readLeaseId, readName } from '../service/arguments.js';
import { checkStored } from '../service/quota-checks.js';
import type { ServiceContext } from '../service/service-context.js';
import { countedWait } from '../service/service-context.js';
import { capability } from '../store.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf, visibleHolder } from '../tenancy.js';
import type { ReleaseStatus } from '../types.js';
import { acquireOutcome } from '../service-observer.js';
import type { AcquireAllOptions } from './multi-lock-store.js';
import { MAX_MULTI_LOCK_NAMES } from './multi-lock-store.js';

/** The outcome of an all-or-nothing acquire as its caller sees it: by name, another app's holders hidden. */
export type AcquireAllView =
  | { readonly acquired: true; readonly fencingTokens: Readonly<Record<string, number>> }
  | {
      readonly acquired: false;
      readonly holders: Readonly<Record<string, ReturnType<typeof visibleHolder>>>;
    };

/** Lock names, 1 to 64 of them, each checked as a name; repeats dropped, first-seen order kept. */
export function readNames(limits: Limits, value: unknown): string[] {
  if (!Array.isArray(value)) throw invalidArgument('names', 'must be an array of lock names');
  if (value.length === 0) throw invalidArgument('names', 'must name at least 1 lock');
  const names = [...new Set(value.map((name, i) => readName(limits, `names[${i}]`, name)))];
  if (names.length > MAX_MULTI_LOCK_NAMES) {
    throw invalidArgument(
      'names',
      `must name at most ${MAX_MULTI_LOCK_NAMES} distinct locks, got ${names.length}`,
    );
  }
  return names;
}

/**
 * Several locks taken all or nothing (ADR 0025), checked and scoped like single locks: a store
 * without the capability answers NOT_SUPPORTED saying why.
 */
export class MultiLockService {
  constructor(private readonly context: ServiceContext) {}

  /** Takes every named lock for one of the caller's leases, or none, waiting up to `waitMs` in FIFO order. */
  async acquireAll(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<AcquireAllView> {
    const { context } = this;
    const { binding, multiLock, keys, nameOf } = this.target(caller, storeName, 'locks.acquireAll', body);
    const input = asBody(body);
    const leaseId = readLeaseId(input.leaseId);
    const waitMs = checkOptionalInteger('waitMs', input.waitMs, 0, context.limits.maxWaitMs) ?? 0;
    const maxHoldMs = checkOptionalInteger('maxHoldMs', input.maxHoldMs, 1, context.limits.maxTtlMs);
    const checked = checkStored(context, caller, binding, ['locks']);
    if (checked) await checked;
    const options: AcquireAllOptions = {
      keys,
      leaseId,
      app: leaseAppOf(caller),
      waitMs,
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
      ...(signal ? { signal } : {}),
    };
    const started = performance.now();
    const result =
      waitMs === 0
        ? await multiLock.acquireAll(options)
        : await countedWait(context, caller, () => multiLock.acquireAll(options));
    const waited = waitMs > 0 ? (performance.now() - started) / 1000 : undefined;
    context.observer?.acquireDone(binding.name, acquireOutcome(result.acquired, waitMs, signal), waited);
    if (result.acquired) return { acquired: true, fencingTokens: byName(result.fencingTokens, nameOf) };
    const holders = Object.fromEntries(
      Object.entries(result.holders).map(([key, holder]) => [nameOf(key), visibleHolder(caller, holder)]),
    );
    return { acquired: false, holders };
  }

  /** Releases each named lock one of the caller's leases holds, in one store step; a status per name. */
  async releaseAll(
    caller: Caller,
    storeName: string,
    body: unknown,
  ): Promise<{ statuses: Record<string, ReleaseStatus> }> {
    const { multiLock, keys, nameOf } = this.target(caller, storeName, 'locks.releaseAll', body);
    const leaseId = readLeaseId(asBody(body).leaseId);
    const statuses = await multiLock.releaseAll(keys, leaseId, leaseAppOf(caller));
    return { statuses: byName(statuses, nameOf) };
  }

  /** The store's multi-lock (or NOT_SUPPORTED), the body's names as store keys, and back. */
  private target(caller: Caller, storeName: string, op: string, body: unknown) {
    const binding = this.context.target(caller, storeName, op);
    const multiLock = capability(binding.store, 'multiLock', storeName);
    const names = readNames(this.context.limits, asBody(body).names);
    const scope = this.context.scopeOf(caller, binding);
    const keys = names.map((name) => scope.lock(name));
    const nameByKey = new Map(keys.map((key, i) => [key, names[i]!]));
    return { binding, multiLock, keys, nameOf: (key: string) => nameByKey.get(key) ?? key };
  }
}

/** A record by store key, re-keyed by name. */
function byName<T>(byKey: Readonly<Record<string, T>>, nameOf: (key: string) => string): Record<string, T> {
  return Object.fromEntries(Object.entries(byKey).map(([key, value]) => [nameOf(key), value]));
}
