import type {
  AcquireOptions,
  AcquireResult,
  GrantOptions,
  KvEntry,
  LeaseApp,
  LeaseDetail,
  LeaseInfo,
  LockInfo,
  PutOptions,
  QueuedWaiter,
  ReleaseStatus,
  Store,
  StoreStats,
  UnlockStatus,
  Unsubscribe,
  Usage,
  UsageQuery,
  WatchOptions,
} from '@leasehold/core';

/**
 * TRANSITIONAL (issue 11): the old one-method-per-verb seam, kept only while the networked stores
 * move to one file per capability. Deleted once no store implements it.
 */
export interface FlatStore {
  grantLease(options: GrantOptions): Promise<LeaseInfo>;
  keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined>;
  revokeLease(leaseId: string, app: LeaseApp): Promise<boolean>;
  getLease(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined>;
  listLeases?(limit: number): Promise<LeaseDetail[]>;
  acquire(options: AcquireOptions): Promise<AcquireResult>;
  release(key: string, leaseId: string, app: LeaseApp): Promise<ReleaseStatus>;
  forceRelease(key: string): Promise<boolean>;
  describeLock(key: string): Promise<LockInfo>;
  listLocks(prefix: string, limit: number): Promise<LockInfo[]>;
  describeQueue?(key: string): Promise<QueuedWaiter[]>;
  checkFence(key: string, token: number): Promise<boolean>;
  daprTryLock(key: string, owner: string, ttlMs: number, app: string): Promise<AcquireResult>;
  daprUnlock(key: string, owner: string, app: LeaseApp): Promise<UnlockStatus>;
  put(options: PutOptions): Promise<{ version: number; revision: number }>;
  get(key: string): Promise<KvEntry | undefined>;
  delete(key: string): Promise<boolean>;
  listKeys?(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]>;
  counterAdd(name: string, delta: number): Promise<number>;
  counterGet(name: string): Promise<number>;
  counterSet(name: string, value: number): Promise<void>;
  usage?(query: UsageQuery): Usage | Promise<Usage>;
  watch(options: WatchOptions): Unsubscribe;
  ping(): Promise<boolean>;
  stats?(): StoreStats | Promise<StoreStats>;
  close(): Promise<void>;
}

/** TRANSITIONAL: a FlatStore seen through the capability seam. */
export function fromFlat(flat: FlatStore): Store & { readonly flat: FlatStore } {
  const listLeases = flat.listLeases?.bind(flat);
  const describeQueue = flat.describeQueue?.bind(flat);
  const listKeys = flat.listKeys?.bind(flat);
  const usage = flat.usage?.bind(flat);
  const stats = flat.stats?.bind(flat);
  return {
    // The old object, for tests that reach into a store's internals until they move with it.
    flat,
    leases: {
      grant: (options) => flat.grantLease(options),
      keepAlive: (id, app) => flat.keepAlive(id, app),
      revoke: (id, app) => flat.revokeLease(id, app),
      get: (id, app) => flat.getLease(id, app),
      ...(listLeases ? { list: listLeases } : {}),
    },
    locks: {
      acquire: (options) => flat.acquire(options),
      release: (key, id, app) => flat.release(key, id, app),
      forceRelease: (key) => flat.forceRelease(key),
      describe: (key) => flat.describeLock(key),
      list: (prefix, limit) => flat.listLocks(prefix, limit),
      check: (key, token) => flat.checkFence(key, token),
      ...(describeQueue ? { queue: describeQueue } : {}),
    },
    dapr: {
      tryLock: (key, owner, ttlMs, app) => flat.daprTryLock(key, owner, ttlMs, app),
      unlock: (key, owner, app) => flat.daprUnlock(key, owner, app),
    },
    kv: {
      put: (options) => flat.put(options),
      get: (key) => flat.get(key),
      delete: (key) => flat.delete(key),
      ...(listKeys ? { list: listKeys } : {}),
    },
    counters: {
      add: (name, delta) => flat.counterAdd(name, delta),
      get: (name) => flat.counterGet(name),
      set: (name, value) => flat.counterSet(name, value),
    },
    watch: { subscribe: (options) => flat.watch(options) },
    ...(usage ? { usage } : {}),
    ...(stats ? { stats } : {}),
    ping: () => flat.ping(),
    close: () => flat.close(),
  };
}
