import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeys, compareBytes } from './sorted-keys.js';

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('compareBytes', () => {
  it('orders strings as their UTF-8 bytes, astral characters after U+FFFF', () => {
    const words = ['b', 'a', '', 'ab', '\u{1F600}', '\uFFFD', '\uE000', 'é', 'a\u{10000}', 'a\uFFFF'];
    expect([...words].sort(compareBytes)).toEqual([...words].sort(byBytes));
  });

  it('agrees with Buffer.compare on any two well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(compareBytes(a, b))).toBe(Math.sign(byBytes(a, b)));
      }),
    );
  });
});

describe('SortedKeys', () => {
  it('keeps keys in byte order across block splits and removals', () => {
    const keys = new SortedKeys();
    const all = Array.from({ length: 5_000 }, (_, i) => `k${(i * 7919) % 5_000}`);
    for (const key of all) expect(keys.add(key)).toBe(true);
    expect(keys.add('k42')).toBe(false);
    for (const key of all.filter((_, i) => i % 3 === 0)) expect(keys.delete(key)).toBe(true);
    expect(keys.delete('k0')).toBe(false);
    const left = all.filter((_, i) => i % 3 !== 0).sort(byBytes);
    expect([...keys.from('', false)]).toEqual(left);
    expect(keys.size).toBe(left.length);
  });

  it('starts a range at a key, inclusive or exclusive, present or not', () => {
    const keys = new SortedKeys();
    keys.load(['c', 'a', 'e', 'b']);
    expect([...keys.from('b', false)]).toEqual(['b', 'c', 'e']);
    expect([...keys.from('b', true)]).toEqual(['c', 'e']);
    expect([...keys.from('d', true)]).toEqual(['e']);
    expect([...keys.from('f', false)]).toEqual([]);
  });

  it('matches a sorted set under any mix of adds, deletes and range starts', () => {
    const op = fc.tuple(fc.boolean(), fc.string({ unit: 'binary', maxLength: 4 }));
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 3_000 }),
        fc.string({ maxLength: 3 }),
        fc.boolean(),
        (ops, start, ex) => {
          const keys = new SortedKeys();
          const model = new Set<string>();
          for (const [add, key] of ops) {
            expect(add ? keys.add(key) : keys.delete(key)).toBe(add ? !model.has(key) : model.has(key));
            if (add) model.add(key);
            else model.delete(key);
          }
          const expected = [...model].sort(byBytes).filter((k) => byBytes(k, start) > (ex ? 0 : -1));
          expect([...keys.from(start, ex)]).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
