import type { SemaphoreStore } from '@leasehold/core';
import type { RedisPools } from './pools.js';

/**
 * The counting semaphores of a `lock.redis` store: permit pools of kind `semaphore` (pools.ts,
 * pool-lua.ts; ADR 0024). Strict FIFO with head-of-line blocking, hand-off inside the script that
 * frees the permits; a lease's end (revoke, or the reaper at its expiry) frees them in one script.
 */
export function redisSemaphores(pools: RedisPools): SemaphoreStore {
  const setLimit: SemaphoreStore['setLimit'] = (key, limit, ifLimit) => pools.setLimit(key, limit, ifLimit);
  return { ...pools.ofKind('semaphore'), setLimit };
}
