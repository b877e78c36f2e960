import { OP_NAMES, opLabel, specOf } from '@leasehold/core';
import { describe, expect, it } from 'vitest';
import { httpOp } from './http-ops.js';

describe('httpOp', () => {
  it("labels every op table route with the op's label, shared routes by their query", () => {
    for (const op of OP_NAMES) {
      const { method, path, selectBy } = specOf(op);
      const query = Object.fromEntries((selectBy ?? []).slice(0, 1).map((name) => [name, 'x']));
      expect(httpOp(method, path, query), op).toBe(opLabel(op));
    }
  });

  it('labels the routes outside the table, and no others', () => {
    expect(httpOp('POST', '/v1.0-alpha1/lock/:store', {})).toBe('daprTryLock');
    expect(httpOp('POST', '/v1.0-alpha1/unlock/:store', {})).toBe('daprUnlock');
    expect(httpOp('GET', '/v1/:store/watch', {})).toBe('watch');
    expect(httpOp('GET', '/healthz', {})).toBeUndefined();
    expect(httpOp('GET', '/metrics', undefined)).toBeUndefined();
  });
});
