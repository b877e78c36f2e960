import type {
  RwLockAcquireOptions,
  RwLockAcquireResult,
  RwLockInfo,
  RwLockStore,
} from '../rwlocks/rwlock-store.js';
import type { LocalSemaphores } from './local-semaphores.js';
import { RW_WRITE_PERMITS, rwInfo, rwResult } from '../rwlocks/rw-permits.js';

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
