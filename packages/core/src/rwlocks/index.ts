export * from './rwlock-service.js';
export type * from './rwlock-store.js';
export * from './pool-rwlocks.js';
