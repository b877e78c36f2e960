import { PoolRwLocks } from '@leasehold/core';
import type { RedisPools } from './pools.js';

/**
 * The read/write locks of a `lock.redis` store: permit pools of kind `rwlock` (ADR 0021, 0024). A read
 * asked under the lease's write is the atomic downgrade (one script), a write under its read
 * MODE_CONFLICT at once.
 */
export class RedisRwLocks extends PoolRwLocks {
  constructor(pools: RedisPools) {
    super(pools.ofKind('rwlock'));
  }
}
