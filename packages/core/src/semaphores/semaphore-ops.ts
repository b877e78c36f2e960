import type { OpSpec } from '../ops/op-spec.js';

/** The semaphore ops (design §1), as plain data: see ops/op-table.ts. */
export const SEMAPHORE_OPS = {
  'semaphores.acquire': {
    method: 'POST',
    path: '/v1/:store/semaphores/acquire',
    args: 'body',
    fields: ['name', 'leaseId', 'limit', 'permits', 'waitMs', 'maxHoldMs'],
    // A retry on the holding lease returns the same grant; a lost reply's grant is given back.
    idempotent: false,
    waits: true,
  },
  'semaphores.release': {
    method: 'POST',
    path: '/v1/:store/semaphores/release',
    args: 'body',
    fields: ['name', 'leaseId'],
    idempotent: true,
  },
  'semaphores.describe': {
    method: 'GET',
    path: '/v1/:store/semaphores',
    args: 'query',
    fields: ['name'],
    idempotent: true,
    selectBy: ['name'],
  },
  'semaphores.list': {
    method: 'GET',
    path: '/v1/:store/semaphores',
    args: 'query',
    fields: ['prefix'],
    idempotent: true,
    wrap: 'semaphores',
    defaults: { prefix: '' },
  },
  'semaphores.check': {
    method: 'GET',
    path: '/v1/:store/semaphores/check',
    args: 'query',
    fields: ['name', 'token'],
    idempotent: true,
  },
  // Idempotent: setting the same limit twice leaves it set; ifLimit guards a race, not a resend.
  'semaphores.setLimit': {
    method: 'PUT',
    path: '/v1/:store/semaphores',
    args: 'body',
    fields: ['name', 'limit', 'ifLimit'],
    idempotent: true,
  },
} as const satisfies Record<`semaphores.${string}`, OpSpec>;
