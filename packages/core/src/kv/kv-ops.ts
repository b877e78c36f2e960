import type { OpSpec } from '../ops/op-spec.js';

/** The KV ops (DESIGN §4.3), as plain data: see ops/op-table.ts. */
export const KV_OPS = {
  'kv.put': {
    alias: 'put',
    method: 'PUT',
    path: '/v1/:store/kv',
    args: 'body',
    fields: ['key', 'value', 'leaseId', 'ifVersion', 'fence', 'idempotencyKey'],
    idempotent: false,
    largeBody: true,
  },
  'kv.get': {
    alias: 'get',
    method: 'GET',
    path: '/v1/:store/kv',
    args: 'query',
    fields: ['key'],
    idempotent: true,
  },
  'kv.list': {
    alias: 'listKeys',
    method: 'GET',
    path: '/v1/:store/kv',
    args: 'query',
    fields: ['prefix', 'limit', 'after'],
    idempotent: true,
    selectBy: ['prefix', 'limit', 'after'],
    defaults: { prefix: '' },
  },
  'kv.delete': {
    alias: 'delete',
    method: 'DELETE',
    path: '/v1/:store/kv',
    args: 'query',
    fields: ['key'],
    idempotent: false,
  },
} as const satisfies Record<`kv.${string}`, OpSpec>;
