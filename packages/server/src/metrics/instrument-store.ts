import { ERROR_TABLE, daprOf, isLeaseholdError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import type { ServerMetrics } from './server-metrics.js';

/**
 * The operations timed, by capability and verb, each with its `op` label. The labels predate the
 * capability seam and stay as they were, so dashboards keep working. Watch and close are not requests.
 */
const TIMED = {
  leases: {
    grant: 'grantLease',
    keepAlive: 'keepAlive',
    keepAliveMany: 'keepAliveMany',
    revoke: 'revokeLease',
    get: 'getLease',
    list: 'listLeases',
  },
  locks: {
    acquire: 'acquire',
    release: 'release',
    forceRelease: 'forceRelease',
    describe: 'describeLock',
    list: 'listLocks',
    queue: 'describeQueue',
    check: 'checkFence',
  },
  dapr: { tryLock: 'daprTryLock', unlock: 'daprUnlock' },
  kv: { put: 'put', get: 'get', delete: 'delete', list: 'listKeys' },
  counters: { add: 'counterAdd', get: 'counterGet', set: 'counterSet' },
  semaphores: {
    acquire: 'semaphoreAcquire',
    release: 'semaphoreRelease',
    describe: 'describeSemaphore',
    list: 'listSemaphores',
    check: 'checkSemaphore',
    setLimit: 'setSemaphoreLimit',
  },
  rwlocks: {
    acquire: 'rwlockAcquire',
    release: 'rwlockRelease',
    describe: 'describeRwLock',
    list: 'listRwLocks',
    check: 'checkRwLock',
  },
  multiLock: { acquireAll: 'acquireAll', releaseAll: 'releaseAll' },
} as const;

/** The labels of acquires that may wait: a wait is not timed as an operation. */
const MAY_WAIT: ReadonlySet<string> = new Set([
  TIMED.locks.acquire,
  TIMED.semaphores.acquire,
  TIMED.rwlocks.acquire,
  TIMED.multiLock.acquireAll,
]);

type Method = (...args: unknown[]) => unknown;

/**
 * The store as `metrics` sees it: each operation timed and its failures counted per store and op,
 * fenced writes counted as fencing rejections. A synchronous answer (usage, stats on the embedded
 * stores) stays synchronous, so requests pipelined on one connection keep their order. An acquire
 * that may wait is not timed: its wait is what it measures, and the wait histogram has that. The
 * Dapr API is timed whole, whether the store has its own or core maps it (daprOf).
 */
export function instrumentStore(store: Store, storeName: string, metrics: ServerMetrics): Store {
  const wrap = <C extends object>(capability: C, labels: Readonly<Record<string, string>>): C => {
    const wrapped: Record<string, unknown> = {};
    for (const [verb, label] of Object.entries(labels)) {
      const method = (capability as Record<string, Method | undefined>)[verb];
      if (method) wrapped[verb] = timed(capability, storeName, label, method, metrics);
    }
    return wrapped as C;
  };
  const { kv, counters, semaphores, rwlocks, multiLock } = store;
  // Inherits from the store, so its own fields (a LocalStore's stats and engine) read through.
  const timedStore: Store = {
    leases: wrap(store.leases, TIMED.leases),
    locks: wrap(store.locks, TIMED.locks),
    dapr: wrap(daprOf(store), TIMED.dapr),
    ...(kv ? { kv: wrap(kv, TIMED.kv) } : {}),
    ...(counters ? { counters: wrap(counters, TIMED.counters) } : {}),
    ...(semaphores ? { semaphores: wrap(semaphores, TIMED.semaphores) } : {}),
    ...(rwlocks ? { rwlocks: wrap(rwlocks, TIMED.rwlocks) } : {}),
    ...(multiLock ? { multiLock: wrap(multiLock, TIMED.multiLock) } : {}),
    watch: store.watch,
    ...(store.usage
      ? { usage: timedCall(store, storeName, 'usage', metrics) as NonNullable<Store['usage']> }
      : {}),
    ...(store.stats
      ? { stats: timedCall(store, storeName, 'stats', metrics) as NonNullable<Store['stats']> }
      : {}),
    ping: timedCall(store, storeName, 'ping', metrics) as Store['ping'],
    close: () => store.close(),
  };
  return Object.assign(Object.create(store) as Store, timedStore);
}

/** A top-level store method, timed under its own name. */
function timedCall(
  store: Store,
  storeName: string,
  name: 'usage' | 'stats' | 'ping',
  metrics: ServerMetrics,
) {
  return timed(store, storeName, name, (store as unknown as Record<string, Method>)[name]!, metrics);
}

function timed(
  target: object,
  storeName: string,
  op: string,
  method: Method,
  metrics: ServerMetrics,
): Method {
  const timer = metrics.storeOpTimer(storeName, op);
  const errors = metrics.storeOpErrors(storeName, op);
  const failed = (error: unknown) => {
    if (isLeaseholdError(error) && error.code === 'FENCED') metrics.fencingRejected(storeName);
    else if (!isLeaseholdError(error) || ERROR_TABLE[error.code].httpStatus >= 500) errors.inc();
  };
  const mayWait = MAY_WAIT.has(op);
  // Store methods take at most four arguments; naming them avoids a rest array per call.
  return (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => {
    const started = performance.now();
    const untimed = mayWait && ((a as { waitMs?: number }).waitMs ?? 0) > 0;
    let result: unknown;
    try {
      result = method.call(target, a, b, c, d);
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
