import type { OpSpec } from './op-spec.js';

/**
 * Every op of the native API, once (DESIGN §4.3). The server's HTTP routes, the stream's
 * dispatch, the SDK's HTTP requests and its retry rule are all read from here; the handlers
 * sit beside it in op-handlers.ts, one per name, so this part stays free of the engine.
 */
export const OP_SPECS = {
  // Stores
  listStores: {
    method: 'GET',
    path: '/v1/stores',
    args: 'query',
    fields: [],
    idempotent: true,
    wrap: 'stores',
  },

  // Leases
  grantLease: {
    method: 'POST',
    path: '/v1/:store/leases',
    args: 'body',
    fields: ['ttlMs', 'owner'],
    idempotent: false,
  },
  keepAlive: {
    method: 'POST',
    path: '/v1/:store/leases/:leaseId/keepalive',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  revokeLease: {
    method: 'DELETE',
    path: '/v1/:store/leases/:leaseId',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  getLease: {
    method: 'GET',
    path: '/v1/:store/leases/:leaseId',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  // etcd's LeaseTimeToLive: a probe, so a lease that is gone (or another app's) is a value, not an error.
  leaseTimeToLive: {
    method: 'GET',
    path: '/v1/:store/leases/:leaseId/ttl',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  listLeases: {
    method: 'GET',
    path: '/v1/:store/leases',
    args: 'query',
    fields: [],
    idempotent: true,
    wrap: 'leases',
  },

  // Locks
  acquire: {
    method: 'POST',
    path: '/v1/:store/locks/acquire',
    args: 'body',
    fields: ['name', 'leaseId', 'waitMs', 'maxHoldMs'],
    idempotent: false,
    waits: true,
  },
  release: {
    method: 'POST',
    path: '/v1/:store/locks/release',
    args: 'body',
    fields: ['name', 'leaseId'],
    idempotent: true,
  },
  // Not idempotent: sent again, it would release whoever holds the lock by then.
  forceRelease: {
    method: 'POST',
    path: '/v1/:store/locks/force-release',
    args: 'body',
    fields: ['name'],
    idempotent: false,
  },
  describeLock: {
    method: 'GET',
    path: '/v1/:store/locks',
    args: 'query',
    fields: ['name'],
    idempotent: true,
    selectBy: ['name'],
  },
  listLocks: {
    method: 'GET',
    path: '/v1/:store/locks',
    args: 'query',
    fields: ['prefix'],
    idempotent: true,
    wrap: 'locks',
    defaults: { prefix: '' },
  },
  checkLock: {
    method: 'GET',
    path: '/v1/:store/locks/check',
    args: 'query',
    fields: ['name', 'token'],
    idempotent: true,
  },
  describeQueue: {
    method: 'GET',
    path: '/v1/:store/locks/queue',
    args: 'query',
    fields: ['name'],
    idempotent: true,
  },
  listAllLocks: {
    method: 'GET',
    path: '/v1/:store/locks/all',
    args: 'query',
    fields: ['prefix'],
    idempotent: true,
    wrap: 'locks',
    defaults: { prefix: '' },
  },
  overview: { method: 'GET', path: '/v1/:store/overview', args: 'query', fields: [], idempotent: true },

  // KV
  put: {
    method: 'PUT',
    path: '/v1/:store/kv',
    args: 'body',
    fields: ['key', 'value', 'leaseId', 'ifVersion', 'fence'],
    idempotent: false,
    largeBody: true,
  },
  get: { method: 'GET', path: '/v1/:store/kv', args: 'query', fields: ['key'], idempotent: true },
  listKeys: {
    method: 'GET',
    path: '/v1/:store/kv',
    args: 'query',
    fields: ['prefix', 'limit', 'after'],
    idempotent: true,
    selectBy: ['prefix', 'limit', 'after'],
    defaults: { prefix: '' },
  },
  delete: { method: 'DELETE', path: '/v1/:store/kv', args: 'query', fields: ['key'], idempotent: false },

  // Counters
  counterAdd: {
    method: 'POST',
    path: '/v1/:store/counters/add',
    args: 'body',
    fields: ['name', 'delta'],
    idempotent: false,
  },
  counterGet: {
    method: 'GET',
    path: '/v1/:store/counters',
    args: 'query',
    fields: ['name'],
    idempotent: true,
  },
  counterSet: {
    method: 'PUT',
    path: '/v1/:store/counters',
    args: 'body',
    fields: ['name', 'value'],
    idempotent: false,
  },
} as const satisfies Record<string, OpSpec>;

/** One named op. */
export type OpName = keyof typeof OP_SPECS;

/** Every op name, in table order. */
export const OP_NAMES = Object.keys(OP_SPECS) as readonly OpName[];

/** The spec of one op, with its literal types. */
export type SpecOf<K extends OpName> = (typeof OP_SPECS)[K];

/** The spec of one op, read as the general shape. */
export function specOf(op: OpName): OpSpec {
  return OP_SPECS[op];
}

/** True when `op` names an op of the table. */
export function isOpName(op: string): op is OpName {
  return Object.hasOwn(OP_SPECS, op);
}
