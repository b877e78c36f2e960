import { LocalStore } from '@leasehold/core';
import { defineStoreType } from '../store-type.js';

/** `lock.memory`: core's in-process store, nothing kept across a restart; it reads no metadata. */
export const memoryStoreType = defineStoreType({
  type: 'lock.memory',
  parse: () => undefined,
  open: () => Promise.resolve(new LocalStore()),
});
