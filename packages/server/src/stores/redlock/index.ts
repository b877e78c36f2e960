/** Redlock: a `lock.redis` component with `redisHosts`, majority writes over independent masters. */
export { openRedlockStore } from './redlock-store.js';
