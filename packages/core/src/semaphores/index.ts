export * from './semaphore-service.js';
export type * from './semaphore-store.js';
