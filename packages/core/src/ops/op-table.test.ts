import { describe, expect, it } from 'vitest';
import { OP_HANDLERS } from './op-handlers.js';
import { selectOp } from './op-routes.js';
import { OP_NAMES, opLabel, opNamed, specOf } from './op-table.js';
import type { OpName } from './op-table.js';

const paramsOf = (path: string) =>
  [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!).filter((n) => n !== 'store');

describe('the op table', () => {
  it('has one handler per op, and an undo for each op that waits', () => {
    expect(Object.keys(OP_HANDLERS).sort()).toEqual([...OP_NAMES].sort());
    for (const op of OP_NAMES) expect('undo' in OP_HANDLERS[op]).toBe(specOf(op).waits === true);
  });

  it('names only declared arguments in paths, selectors and defaults', () => {
    for (const op of OP_NAMES) {
      const spec = specOf(op);
      const named = [...paramsOf(spec.path), ...(spec.selectBy ?? []), ...Object.keys(spec.defaults ?? {})];
      for (const name of named) expect(spec.fields, `${op}: ${name}`).toContain(name);
      if (spec.args === 'path') expect(paramsOf(spec.path), op).toEqual(spec.fields);
      if (spec.args === 'body') expect(['POST', 'PUT'], op).toContain(spec.method);
    }
  });

  it('tells apart the ops sharing a route: one answers by default, the others by a query argument', () => {
    const routes = new Map<string, OpName[]>();
    for (const op of OP_NAMES) {
      const route = `${specOf(op).method} ${specOf(op).path}`;
      routes.set(route, [...(routes.get(route) ?? []), op]);
    }
    for (const [route, ops] of routes) {
      expect(
        ops.filter((op) => specOf(op).selectBy === undefined),
        route,
      ).toHaveLength(1);
      for (const op of ops) if (ops.length > 1) expect(specOf(op).args, route).toBe('query');
    }
  });

  it('names every op <primitive>.<verb>, and still knows each by its former name', () => {
    const aliases = OP_NAMES.flatMap((op) => specOf(op).alias ?? []);
    expect(new Set(aliases).size).toBe(aliases.length);
    for (const op of OP_NAMES) {
      expect(op).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
      expect(opNamed(op)).toBe(op);
      const alias = specOf(op).alias;
      if (alias === undefined) continue;
      expect(OP_NAMES, alias).not.toContain(alias);
      expect(opNamed(alias)).toBe(op);
      expect(opLabel(op)).toBe(alias);
    }
    expect(opNamed('grantLease')).toBe('leases.grant');
    expect(opNamed('checkLock')).toBe('locks.check');
    expect(opNamed('leases.nope')).toBeUndefined();
  });

  it('selects the op of a shared route by its query', () => {
    expect(selectOp(['locks.describe', 'locks.list'], { name: 'x' })).toBe('locks.describe');
    expect(selectOp(['locks.describe', 'locks.list'], { prefix: 'x' })).toBe('locks.list');
    expect(selectOp(['kv.get', 'kv.list'], { key: 'k' })).toBe('kv.get');
    expect(selectOp(['kv.get', 'kv.list'], { limit: '5' })).toBe('kv.list');
  });
});
