import { LeaseholdError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import type { RedisStoreConfig } from './config.js';

/** Opens a Redlock store over several independent masters. */
export function openRedlockStore(
  name: string,
  _config: Extract<RedisStoreConfig, { mode: 'redlock' }>,
): Promise<Store> {
  return Promise.reject(
    new LeaseholdError('INVALID_ARGUMENT', `component ${name}: metadata redisHosts: not yet supported`),
  );
}
