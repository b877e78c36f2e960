import type {
  PermitAcquireOptions,
  PermitAcquireResult,
  SemaphoreInfo,
  SemaphoreStore,
} from '../semaphores/semaphore-store.js';
import type {
  RwLockAcquireOptions,
  RwLockAcquireResult,
  RwLockInfo,
  RwLockMode,
  RwLockStore,
} from './rwlock-store.js';

/**
 * What a write weighs in a read/write lock's permit pool: all of it, so it fits only alone (a read
 * weighs 1). Every store builds its read/write locks on its pools with these weights (ADR 0021).
 */
export const RW_WRITE_PERMITS = 65_535;

/** The mode of a read/write lock grant that weighs `permits`. */
export function modeOf(permits: number): RwLockMode {
  return permits === RW_WRITE_PERMITS ? 'write' : 'read';
}

/** A pool's acquire outcome as a read/write lock's. */
export function rwResult(result: PermitAcquireResult): RwLockAcquireResult {
  if (result.acquired)
    return { acquired: true, mode: modeOf(result.permits), fencingToken: result.fencingToken };
  const { available, waiters } = result;
  const mode = available === RW_WRITE_PERMITS ? null : available === 0 ? 'write' : 'read';
  return { acquired: false, mode, waiters };
}

/** A pool's state as a read/write lock's. */
export function rwInfo(info: SemaphoreInfo): RwLockInfo {
  const holders = info.holders.map(({ permits, ...holder }) => ({ ...holder, mode: modeOf(permits) }));
  return { key: info.key, mode: holders[0]?.mode ?? null, holders, waiters: info.waiters };
}

/** A store's permit pools as read/write locks use them: semaphores whose acquire can make an `rwlock` pool. */
export interface RwPermitPools extends Pick<SemaphoreStore, 'release' | 'describe' | 'list' | 'check'> {
  acquire(options: PermitAcquireOptions & { kind?: 'semaphore' | 'rwlock' }): Promise<PermitAcquireResult>;
}

/**
 * Read/write locks on a store's permit pools (ADR 0021): pools of kind `rwlock` where a read weighs 1
 * and a write the whole pool, so the pools' strict FIFO is the task-fair policy as it stands. A read
 * asked under the lease's write is the downgrade, a write under its read MODE_CONFLICT: the pools'.
 */
export class PoolRwLocks implements RwLockStore {
  constructor(private readonly pools: RwPermitPools) {}

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
