import { ERROR_TABLE, isLeaseholdError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import type { ServerMetrics } from './server-metrics.js';

/** The Store methods timed; watch and close are not requests. */
const TIMED = [
  'grantLease',
  'keepAlive',
  'revokeLease',
  'getLease',
  'listLeases',
  'acquire',
  'release',
  'forceRelease',
  'describeLock',
  'listLocks',
  'checkFence',
  'daprTryLock',
  'daprUnlock',
  'put',
  'get',
  'delete',
  'counterAdd',
  'counterGet',
  'counterSet',
  'usage',
  'ping',
  'stats',
] as const satisfies readonly (keyof Store)[];

type Method = (...args: unknown[]) => unknown;

/**
 * The store as `metrics` sees it: each operation timed and its failures counted per store and op,
 * fenced writes counted as fencing rejections. A synchronous answer (usage, stats on the embedded
 * stores) stays synchronous, so requests pipelined on one connection keep their order. An acquire
 * that may wait is not timed: its wait is what it measures, and the wait histogram has that.
 * The wrapper inherits from the store, so its fields read through; every method runs bound to the
 * store itself (no Proxy trap on the hot path).
 */
export function instrumentStore(store: Store, storeName: string, metrics: ServerMetrics): Store {
  const wrapper = Object.create(store) as Record<string, unknown>;
  for (const name of methodNames(store)) {
    const method = (store as unknown as Record<string, Method>)[name]!;
    wrapper[name] = (TIMED as readonly string[]).includes(name)
      ? timed(store, storeName, name, method, metrics)
      : method.bind(store);
  }
  return wrapper as unknown as Store;
}

/** Every method name of the store, own or inherited, but Object's. */
function methodNames(store: Store): Set<string> {
  const names = new Set<string>();
  for (
    let o: object | null = store;
    o && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name !== 'constructor' && typeof (store as unknown as Record<string, unknown>)[name] === 'function')
        names.add(name);
    }
  }
  return names;
}

function timed(store: Store, storeName: string, op: string, method: Method, metrics: ServerMetrics): Method {
  const timer = metrics.storeOpTimer(storeName, op);
  const errors = metrics.storeOpErrors(storeName, op);
  const failed = (error: unknown) => {
    if (isLeaseholdError(error) && error.code === 'FENCED') metrics.fencingRejected(storeName);
    else if (!isLeaseholdError(error) || ERROR_TABLE[error.code].httpStatus >= 500) errors.inc();
  };
  const mayWait = op === 'acquire';
  // Store methods take at most four arguments; naming them avoids a rest array per call.
  return (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => {
    const started = performance.now();
    const untimed = mayWait && ((a as { waitMs?: number }).waitMs ?? 0) > 0;
    let result: unknown;
    try {
      result = method.call(store, a, b, c, d);
    } catch (error) {
      failed(error);
      throw error;
    }
    if (!(result instanceof Promise)) {
      timer.observe((performance.now() - started) / 1000);
      return result;
    }
    return result.then(
      (value: unknown) => {
        if (!untimed) timer.observe((performance.now() - started) / 1000);
        return value;
      },
      (error: unknown) => {
        failed(error);
        if (!untimed) timer.observe((performance.now() - started) / 1000);
        throw error;
      },
    );
  };
}
