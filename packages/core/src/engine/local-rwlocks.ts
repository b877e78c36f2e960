import type { PermitAcquireResult, SemaphoreInfo } from '../semaphores/semaphore-store.js';
import type {
  RwLockAcquireOptions,
  RwLockAcquireResult,
  RwLockInfo,
  RwLockStore,
} from '../rwlocks/rwlock-store.js';
import type { LocalSemaphores } from './local-semaphores.js';
import { RW_WRITE_PERMITS, modeOf } from './pool-records.js';

/**
 * The embedded store's read/write locks: permit pools of kind `rwlock` where a read weighs 1 and a
 * write weighs the whole pool, so the pools' FIFO hand-off is the task-fair policy as it stands.
 */
export class LocalRwLocks implements RwLockStore {
  constructor(private readonly pools: LocalSemaphores) {}

  async acquire(options: RwLockAcquireOptions): Promise<RwLockAcquireResult> {
    const { mode, ...rest } = options;
    const permits = mode === 'write' ? RW_WRITE_PERMITS : 1;
    const result = await this.pools.acquire({ ...rest, permits, limit: RW_WRITE_PERMITS, kind: 'rwlock' });
    return rwResult(result);
  }

  release: RwLockStore['release'] = (key, leaseId, app) => this.pools.release(key, leaseId, app);

  async describe(key: string): Promise<RwLockInfo | undefined> {
    const info = await this.pools.describe(key);
    return info && rwInfo(info);
  }

  async list(prefix: string, limit: number): Promise<RwLockInfo[]> {
    return (await this.pools.list(prefix, limit)).map(rwInfo);
  }

  check: RwLockStore['check'] = (key, token) => this.pools.check(key, token);
}

/** A pool's acquire outcome as a read/write lock's. */
function rwResult(result: PermitAcquireResult): RwLockAcquireResult {
  if (result.acquired)
    return { acquired: true, mode: modeOf(result.permits), fencingToken: result.fencingToken };
  const { available, waiters } = result;
  const mode = available === RW_WRITE_PERMITS ? null : available === 0 ? 'write' : 'read';
  return { acquired: false, mode, waiters };
}

/** A pool's state as a read/write lock's. */
function rwInfo(info: SemaphoreInfo): RwLockInfo {
  const holders = info.holders.map(({ permits, ...holder }) => ({ ...holder, mode: modeOf(permits) }));
  return { key: info.key, mode: holders[0]?.mode ?? null, holders, waiters: info.waiters };
}
