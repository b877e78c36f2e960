import { RW_WRITE_PERMITS, rwInfo, rwResult } from '@leasehold/core';
import type { RwLockAcquireOptions, RwLockAcquireResult, RwLockInfo, RwLockStore } from '@leasehold/core';
import type { EtcdSemaphores } from './semaphores.js';

/**
 * The read/write locks of a `lock.etcd` store (ADR 0026): permit pools of kind `rwlock` where a
 * read weighs 1 and a write the whole pool (ADR 0021), so the pools' strict FIFO is the task-fair
 * policy: a read head brings the reads behind it, a read behind a queued write waits. A read asked
 * under the lease's write is the atomic downgrade; a write under its read is MODE_CONFLICT at once.
 */
export class EtcdRwLocks implements RwLockStore {
  constructor(private readonly pools: EtcdSemaphores) {}

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
