export { LeaseholdClient } from './client.js';
export type { LeaseholdClientOptions } from './client.js';
export * from './errors.js';
export { Lease } from './lease.js';
export type { LeaseTiming, LeaseSettings } from './lease.js';
export { LockHandle, describeHolder } from './lock-handle.js';
export type { AcquireReply, LockHolder } from './lock-handle.js';
export { MultiLockHandle } from './multi-lock-handle.js';
export type { AcquireAllReply, ReleaseStatuses } from './multi-lock-handle.js';
export type { GrantOptions, LeaseDescription, LeasesApi } from './leases-api.js';
export type { AcquireOptions, LockDescription, LocksApi, TryAcquireOptions } from './locks-api.js';
export type { ResyncWatchOptions } from './resync-watch.js';
export type {
  AddOptions,
  CountersApi,
  FenceInput,
  KvApi,
  KvEntry,
  KvListOptions,
  KvPage,
  PutOptions,
} from './kv-api.js';
export type { LockContext, WithLockOptions } from './with-lock.js';
export { PermitHandle } from './permit-handle.js';
export type { PermitReply } from './permit-handle.js';
export type {
  PermitAcquireOptions,
  PermitHolderDescription,
  PermitTryAcquireOptions,
  SemaphoreDescription,
  SemaphoresApi,
} from './semaphores-api.js';
export type { PermitContext, WithPermitOptions } from './with-permit.js';
export { RwLockHandle } from './rwlock-handle.js';
export type { RwLockMode, RwLockReply } from './rwlock-handle.js';
export type {
  RwLockAcquireOptions,
  RwLockDescription,
  RwLockHolderDescription,
  RwLocksApi,
  RwLockTryAcquireOptions,
} from './rwlocks-api.js';
export type { RwLockContext, WithRwLockOptions } from './with-rwlock.js';
export type { InProcessOptions } from './in-process-transport.js';
export type { WatchEvent } from './transport.js';
