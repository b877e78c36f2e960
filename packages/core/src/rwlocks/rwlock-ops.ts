import type { OpSpec } from '../ops/op-spec.js';

/** The read/write lock ops (design §2), as plain data: see ops/op-table.ts. */
export const RWLOCK_OPS = {
  'rwlocks.acquire': {
    method: 'POST',
    path: '/v1/:store/rwlocks/acquire',
    args: 'body',
    fields: ['name', 'leaseId', 'mode', 'waitMs', 'maxHoldMs'],
    // A retry on the holding lease returns the same grant; a lost reply's grant is given back.
    idempotent: false,
    waits: true,
  },
  'rwlocks.release': {
    method: 'POST',
    path: '/v1/:store/rwlocks/release',
    args: 'body',
    fields: ['name', 'leaseId'],
    idempotent: true,
  },
  'rwlocks.describe': {
    method: 'GET',
    path: '/v1/:store/rwlocks',
    args: 'query',
    fields: ['name'],
    idempotent: true,
    selectBy: ['name'],
  },
  'rwlocks.list': {
    method: 'GET',
    path: '/v1/:store/rwlocks',
    args: 'query',
    fields: ['prefix'],
    idempotent: true,
    wrap: 'rwlocks',
    defaults: { prefix: '' },
  },
  'rwlocks.check': {
    method: 'GET',
    path: '/v1/:store/rwlocks/check',
    args: 'query',
    fields: ['name', 'token'],
    idempotent: true,
  },
} as const satisfies Record<`rwlocks.${string}`, OpSpec>;
