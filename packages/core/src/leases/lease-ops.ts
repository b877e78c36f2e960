import type { OpSpec } from '../ops/op-spec.js';

/** The lease ops (DESIGN §4.3), as plain data: see ops/op-table.ts. */
export const LEASE_OPS = {
  'leases.grant': {
    alias: 'grantLease',
    method: 'POST',
    path: '/v1/:store/leases',
    args: 'body',
    fields: ['ttlMs', 'owner'],
    idempotent: false,
  },
  'leases.keepAlive': {
    alias: 'keepAlive',
    method: 'POST',
    path: '/v1/:store/leases/:leaseId/keepalive',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  'leases.revoke': {
    alias: 'revokeLease',
    method: 'DELETE',
    path: '/v1/:store/leases/:leaseId',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  'leases.get': {
    alias: 'getLease',
    method: 'GET',
    path: '/v1/:store/leases/:leaseId',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  // etcd's LeaseTimeToLive: a probe, so a lease that is gone (or another app's) is a value, not an error.
  'leases.timeToLive': {
    alias: 'leaseTimeToLive',
    method: 'GET',
    path: '/v1/:store/leases/:leaseId/ttl',
    args: 'path',
    fields: ['leaseId'],
    idempotent: true,
  },
  'leases.list': {
    alias: 'listLeases',
    method: 'GET',
    path: '/v1/:store/leases',
    args: 'query',
    fields: [],
    idempotent: true,
    wrap: 'leases',
  },
} as const satisfies Record<`leases.${string}`, OpSpec>;
