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
 */
export function instrumentStore(store: Store, storeName: string, metrics: ServerMetrics): Store {
  const methods = new Map<PropertyKey, unknown>();
  for (const op of TIMED) {
    // Called with the store as `this` (see timed).
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const method = store[op] as Method | undefined;
    if (typeof method === 'function') methods.set(op, timed(store, storeName, op, method, metrics));
  }
  return new Proxy(store, {
    get(target, property) {
      const method = methods.get(property);
      if (method !== undefined) return method;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as Method).bind(target);
      methods.set(property, bound);
      return bound;
    },
  });
}

function timed(store: Store, storeName: string, op: string, method: Method, metrics: ServerMetrics): Method {
  const timer = metrics.storeOpTimer(storeName, op);
  const errors = metrics.storeOpErrors(storeName, op);
  const failed = (error: unknown) => {
    if (isLeaseholdError(error) && error.code === 'FENCED') metrics.fencingRejected(storeName);
    else if (!isLeaseholdError(error) || ERROR_TABLE[error.code].httpStatus >= 500) errors.inc();
  };
  const mayWait = op === 'acquire';
  return (...args: unknown[]) => {
    const started = performance.now();
    const untimed = mayWait && ((args[0] as { waitMs?: number }).waitMs ?? 0) > 0;
    let result: unknown;
    try {
      result = method.apply(store, args);
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
