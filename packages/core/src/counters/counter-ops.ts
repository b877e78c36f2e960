import type { OpSpec } from '../ops/op-spec.js';

/** The counter ops (DESIGN §4.3), as plain data: see ops/op-table.ts. */
export const COUNTER_OPS = {
  'counters.add': {
    alias: 'counterAdd',
    method: 'POST',
    path: '/v1/:store/counters/add',
    args: 'body',
    fields: ['name', 'delta', 'idempotencyKey'],
    idempotent: false,
  },
  'counters.get': {
    alias: 'counterGet',
    method: 'GET',
    path: '/v1/:store/counters',
    args: 'query',
    fields: ['name'],
    idempotent: true,
  },
  'counters.set': {
    alias: 'counterSet',
    method: 'PUT',
    path: '/v1/:store/counters',
    args: 'body',
    fields: ['name', 'value'],
    idempotent: false,
  },
} as const satisfies Record<`counters.${string}`, OpSpec>;
