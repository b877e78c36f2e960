import type { OpSpec } from '../ops/op-spec.js';

/** The lock ops (DESIGN §4.3) and the console's lock views, as plain data: see ops/op-table.ts. */
export const LOCK_OPS = {
  'locks.acquire': {
    alias: 'acquire',
    method: 'POST',
    path: '/v1/:store/locks/acquire',
    args: 'body',
    fields: ['name', 'leaseId', 'waitMs', 'maxHoldMs'],
    idempotent: false,
    waits: true,
  },
  // All or nothing (ADR 0025); a retry on the holding lease returns the same grants, and a lost
  // reply's grants are given back like a single acquire's.
  'locks.acquireAll': {
    method: 'POST',
    path: '/v1/:store/locks/acquire-all',
    args: 'body',
    fields: ['names', 'leaseId', 'waitMs', 'maxHoldMs'],
    idempotent: false,
    waits: true,
  },
  'locks.releaseAll': {
    method: 'POST',
    path: '/v1/:store/locks/release-all',
    args: 'body',
    fields: ['names', 'leaseId'],
    idempotent: true,
  },
  'locks.release': {
    alias: 'release',
    method: 'POST',
    path: '/v1/:store/locks/release',
    args: 'body',
    fields: ['name', 'leaseId'],
    idempotent: true,
  },
  // Not idempotent: sent again, it would release whoever holds the lock by then.
  'locks.forceRelease': {
    alias: 'forceRelease',
    method: 'POST',
    path: '/v1/:store/locks/force-release',
    args: 'body',
    fields: ['name'],
    idempotent: false,
  },
  'locks.describe': {
    alias: 'describeLock',
    method: 'GET',
    path: '/v1/:store/locks',
    args: 'query',
    fields: ['name'],
    idempotent: true,
    selectBy: ['name'],
  },
  'locks.list': {
    alias: 'listLocks',
    method: 'GET',
    path: '/v1/:store/locks',
    args: 'query',
    fields: ['prefix'],
    idempotent: true,
    wrap: 'locks',
    defaults: { prefix: '' },
  },
  'locks.check': {
    alias: 'checkLock',
    method: 'GET',
    path: '/v1/:store/locks/check',
    args: 'query',
    fields: ['name', 'token'],
    idempotent: true,
  },
  'locks.queue': {
    alias: 'describeQueue',
    method: 'GET',
    path: '/v1/:store/locks/queue',
    args: 'query',
    fields: ['name'],
    idempotent: true,
  },
  'locks.listAll': {
    alias: 'listAllLocks',
    method: 'GET',
    path: '/v1/:store/locks/all',
    args: 'query',
    fields: ['prefix'],
    idempotent: true,
    wrap: 'locks',
    defaults: { prefix: '' },
  },
} as const satisfies Record<`locks.${string}`, OpSpec>;
