import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { checkRegister } from './register.js';

const read = (h: HistoryBuilder, value: string | null, startMs = 4, endMs = 5) =>
  h.add('kv.read', startMs, endMs, { key: 'k', value, process: 'r1' });

describe('property 6: reads return the latest acknowledged write or a concurrent one', () => {
  it('passes the latest write, a concurrent one, and absent before any write', () => {
    const h = new HistoryBuilder();
    read(h, null, 0, 0.5);
    h.put('k', 'a', 1, 2);
    h.put('k', 'b', 3, 10);
    read(h, 'a');
    read(h, 'b');
    read(h, 'b', 11, 12);
    expect(checkRegister(h.ops)).toEqual({ checked: 4, violations: [] });
  });

  it('flags a stale read, showing its write, the write that superseded it, and the read', () => {
    const h = new HistoryBuilder();
    const a = h.put('k', 'a', 0, 1);
    const b = h.put('k', 'b', 2, 3);
    const stale = read(h, 'a');
    const { violations } = checkRegister(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'stale read of k: "a", superseded by "b" before the read began',
    ]);
    expect(violations[0]!.excerpt).toEqual([a, b, stale]);
  });

  it('flags a value no write wrote, and absent after an acknowledged put', () => {
    const h = new HistoryBuilder();
    h.put('k', 'a', 0, 1);
    read(h, 'zzz');
    read(h, null);
    expect(checkRegister(h.ops).violations.map((v) => v.message)).toEqual([
      'read of k returned "zzz", which no write wrote before',
      'stale read of k: absent, superseded by "a" before the read began',
    ]);
  });

  it('lets an unknown write land late, but never supersede; a refused one did nothing', () => {
    const h = new HistoryBuilder();
    h.put('k', 'a', 0, 1);
    h.put('k', 'b', 2, 3, { outcome: 'unknown' });
    h.put('k', 'c', 2, 3, { outcome: 'fail', error: 'FENCED' });
    read(h, 'a', 100, 101);
    read(h, 'b', 200, 201);
    expect(checkRegister(h.ops).violations).toEqual([]);
    read(h, 'c', 300, 301);
    expect(checkRegister(h.ops).violations).toHaveLength(1);
  });

  it('reads a delete as absent', () => {
    const h = new HistoryBuilder();
    h.put('k', 'a', 0, 1);
    h.add('kv.delete', 2, 3, { key: 'k' });
    read(h, null);
    expect(checkRegister(h.ops).violations).toEqual([]);
    read(h, 'a', 6, 7);
    expect(checkRegister(h.ops).violations).toHaveLength(1);
  });

  it('lets a lease-bound key read absent while its put is current, not once overwritten', () => {
    const h = new HistoryBuilder();
    h.put('k', 'a', 0, 1, { leaseId: 'L1' });
    read(h, null);
    expect(checkRegister(h.ops).violations).toEqual([]);
    h.put('k', 'b', 6, 7);
    read(h, null, 8, 9);
    expect(checkRegister(h.ops).violations).toHaveLength(1);
  });
});
