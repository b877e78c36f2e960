import type { OpSpec } from './op-spec.js';

/** The ops about the stores themselves: what is configured, and the console's view of one. */
export const STORE_OPS = {
  'stores.list': {
    alias: 'listStores',
    method: 'GET',
    path: '/v1/stores',
    args: 'query',
    fields: [],
    idempotent: true,
    wrap: 'stores',
  },
  // One store as GET /v1/stores lists it: its type and what it can do.
  'stores.get': { method: 'GET', path: '/v1/:store', args: 'query', fields: [], idempotent: true },
  'stores.overview': {
    alias: 'overview',
    method: 'GET',
    path: '/v1/:store/overview',
    args: 'query',
    fields: [],
    idempotent: true,
  },
} as const satisfies Record<`stores.${string}`, OpSpec>;
