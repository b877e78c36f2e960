import type { PermitHolderView } from './semaphores/semaphore-service.js';
import type { RwLockHolderView } from './rwlocks/rwlock-service.js';
import type { RwLockMode } from './rwlocks/rwlock-store.js';
import type { Store } from './store.js';
import { isAppScoped, readStoreKey } from './store-key-names.js';
import type { Caller } from './tenancy.js';
import { visibleLock } from './tenancy.js';

/** Where a permit pool lives: its name in its key space, and for an admin the space and its app. */
interface PoolPlace {
  readonly name: string;
  /** The key space the name lives in; admin views only, absent when shared. */
  readonly space?: string;
  /** The app of that key space, where spaces are per app; admin views only. */
  readonly app?: string;
}

/** A semaphore as the operator console shows it. */
export type SemaphoreRow = PoolPlace & {
  readonly limit: number;
  readonly used: number;
  readonly holders: readonly PermitHolderView[];
  readonly waiters: number;
};

/** A read/write lock as the operator console shows it. */
export type RwLockRow = PoolPlace & {
  readonly mode: RwLockMode | null;
  readonly holders: readonly RwLockHolderView[];
  readonly waiters: number;
};

/** What readPools needs of a store binding and the caller's key space. */
export interface PoolSource {
  readonly keyPrefix: string;
  readonly store: Store;
  readonly scope: {
    unscope(key: string): { kind: string; name: string } | undefined;
    semaphore(name: string): string;
    rwlock(name: string): string;
  };
}

/**
 * The semaphores and read/write locks of an overview, for the stores that have them: every app's,
 * labelled by key space and app, for an admin; the caller's key space for an app, where another
 * app's holder (on a shared space) shows its owner at most.
 */
export async function readPools(
  caller: Caller,
  source: PoolSource,
  limit: number,
): Promise<{ semaphores?: SemaphoreRow[]; rwlocks?: RwLockRow[] }> {
  const { store, scope } = source;
  const admin = caller.role === 'admin';
  const [semaphores, rwlocks] = await Promise.all([
    store.semaphores?.list(admin ? 'sem||' : scope.semaphore(''), limit),
    store.rwlocks?.list(admin ? 'rw||' : scope.rwlock(''), limit),
  ]);
  const place = (key: string): PoolPlace => {
    if (!admin) return { name: scope.unscope(key)?.name ?? key };
    const read = readStoreKey(source.keyPrefix, key);
    const space = read?.space;
    return {
      name: read?.name ?? key,
      ...(space === undefined ? {} : { space }),
      ...(space !== undefined && isAppScoped(source.keyPrefix) ? { app: space } : {}),
    };
  };
  const holders = <H extends { leaseId: string; app: string }>(list: readonly H[]) =>
    list.map((holder) => visibleLock(caller, holder));
  return {
    ...(semaphores && {
      semaphores: semaphores.map(({ key, holders: held, ...rest }) => ({
        ...place(key),
        ...rest,
        holders: holders(held),
      })),
    }),
    ...(rwlocks && {
      rwlocks: rwlocks.map(({ key, holders: held, ...rest }) => ({
        ...place(key),
        ...rest,
        holders: holders(held),
      })),
    }),
  };
}
