import type { PermitAcquireResult, SemaphoreInfo } from '../semaphores/semaphore-store.js';
import type { RwLockAcquireResult, RwLockInfo, RwLockMode } from './rwlock-store.js';

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
