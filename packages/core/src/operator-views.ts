import { isAppScoped, readStoreKey } from './store-key-names.js';
import type { Store } from './store.js';
import type { Caller } from './tenancy.js';
import { seesLeaseOf, visibleLock } from './tenancy.js';
import type { LeaseDetail, LockInfo, QueuedWaiter } from './types.js';
import { readPools } from './operator-pool-views.js';
import type { RwLockRow, SemaphoreRow } from './operator-pool-views.js';

export { readStoreKey } from './store-key-names.js';

/** A store as any caller may see it: its name, type and what it can do. */
export interface StoreSummary {
  readonly name: string;
  readonly type: string;
  readonly capabilities: readonly string[];
}

/** A held lock of any app, named in its own key space and labelled with its app (admin views). */
export type AppLockView = Omit<LockInfo, 'key'> & {
  readonly name: string;
  /** The key space the name lives in (`KeyScope.tenant` without its `||`); absent when shared. */
  readonly space?: string;
};

/** A queued acquire as a caller may see it: another app's waiter is only a place in the queue. */
export type QueueView = Partial<QueuedWaiter> & { readonly position: number };

/** What a store can do, by the capabilities and operations it offers (missing ones answer NOT_SUPPORTED). */
export function capabilitiesOf(store: Store): string[] {
  const offered: [string, unknown][] = [
    ['leases', store.leases],
    ['locks', store.locks],
    ['dapr', true], // core maps Dapr's API onto leases and locks where a store has no format of its own
    ['kv', store.kv],
    ['counters', store.counters],
    ['semaphores', store.semaphores],
    ['rwlocks', store.rwlocks],
    ['multiLock', store.multiLock],
    ['watch', store.watch],
    ['watchPerServer', store.watch.feed === 'server' ? true : undefined],
    ['listLeases', store.leases.list === undefined ? undefined : true],
    ['describeQueue', store.locks.queue === undefined ? undefined : true],
    ['usage', store.usage === undefined ? undefined : true],
    ['stats', store.stats === undefined ? undefined : true],
  ];
  return offered.flatMap(([name, present]) => (present === undefined ? [] : [name]));
}

/** A held lock of any app, for an admin: the app of its lease, else its key space's. */
export function labelLock(keyPrefix: string, { key, ...info }: LockInfo): AppLockView {
  const read = readStoreKey(keyPrefix, key);
  const app = info.app ?? (isAppScoped(keyPrefix) ? read?.space : undefined);
  return {
    ...info,
    name: read?.name ?? key,
    ...(read?.space === undefined ? {} : { space: read.space }),
    ...(app === undefined ? {} : { app }),
  };
}

/** A lease of any app with the names of its locks and keys, each read in its own key space. */
export function labelLease(keyPrefix: string, lease: LeaseDetail): LeaseDetail {
  const names = (keys: readonly string[]) => keys.map((k) => readStoreKey(keyPrefix, k)?.name ?? k);
  return { ...lease, locks: names(lease.locks), keys: names(lease.keys) };
}

/** A lock's queue as `caller` may see it: only its own app's waiters (or any, for an admin) are named. */
export function visibleQueue(caller: Caller, waiters: readonly QueuedWaiter[]): QueueView[] {
  return waiters.map((waiter, index) =>
    seesLeaseOf(caller, waiter.app)
      ? { position: index + 1, ...waiter }
      : { position: index + 1, ...(waiter.since === undefined ? {} : { since: waiter.since }) },
  );
}

/** What the operator console shows of one store, scoped to its caller. */
export interface StoreOverview {
  readonly store: string;
  readonly caller: { readonly appId: string; readonly role: Caller['role'] };
  readonly capabilities: readonly string[];
  /** Held locks with their queues: the caller's key space, or every app's for an admin. */
  readonly locks: readonly (AppLockView & { readonly queue?: readonly QueueView[] })[];
  /** Live leases: the caller's app's, or every app's for an admin; absent where the store cannot list them. */
  readonly leases?: readonly LeaseDetail[];
  /** Semaphores, scoped like locks; absent where the store has none. */
  readonly semaphores?: readonly SemaphoreRow[];
  /** Read/write locks held or awaited, scoped like locks; absent where the store has none. */
  readonly rwlocks?: readonly RwLockRow[];
}

/** The binding an overview reads, and the caller's key space in it. */
export interface OverviewSource {
  readonly name: string;
  readonly keyPrefix: string;
  readonly store: Store;
  /** The caller's key space: `lock(name)` and `unscope(key)` as KeyScope gives them. */
  readonly scope: {
    lock(name: string): string;
    unscope(key: string): { kind: string; name: string } | undefined;
    semaphore(name: string): string;
    rwlock(name: string): string;
  };
}

/**
 * Reads one store for the console. An admin sees every app's locks and leases, each labelled by
 * app; an app sees its key space, its own leases, and other apps' holders and waiters without ids.
 */
export async function buildOverview(
  caller: Caller,
  source: OverviewSource,
  limit: number,
): Promise<StoreOverview> {
  const { store, keyPrefix, scope } = source;
  const admin = caller.role === 'admin';
  const raw = await store.locks.list(admin ? 'lock||' : scope.lock(''), limit);
  const locks = await Promise.all(
    raw.map(async (info) => {
      const { key, ...rest } = info;
      const view: AppLockView = admin
        ? labelLock(keyPrefix, info)
        : visibleLock(caller, { ...rest, name: scope.unscope(key)?.name ?? key });
      if (info.waiters === 0 || !store.locks.queue) return view;
      return { ...view, queue: visibleQueue(caller, await store.locks.queue(key)) };
    }),
  );
  const all = store.leases.list ? await store.leases.list(limit) : undefined;
  const leases = all
    ?.filter((lease) => admin || lease.app === caller.appId)
    .map((lease) =>
      admin
        ? labelLease(keyPrefix, lease)
        : {
            ...lease,
            locks: lease.locks.flatMap((k) => scope.unscope(k)?.name ?? []),
            keys: lease.keys.flatMap((k) => scope.unscope(k)?.name ?? []),
          },
    );
  return {
    store: source.name,
    caller: { appId: caller.appId, role: caller.role },
    capabilities: capabilitiesOf(store),
    locks,
    ...(leases === undefined ? {} : { leases }),
    ...(await readPools(caller, source, limit)),
  };
}
