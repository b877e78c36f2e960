import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { checkStaleFence } from './stale-fence.js';

/** L1 held x with token 10 until 5; L2 was granted token 11 at 8. */
function handedOver(): HistoryBuilder {
  const h = HistoryBuilder.released();
  h.acquire('x', 'L2', 7, 8, { token: 11 });
  return h;
}

describe('property 3: no stale fenced write accepted', () => {
  it('passes a current token accepted and a stale one refused', () => {
    const h = handedOver();
    h.put('k', 'a', 9, 10, { name: 'x', token: 11, revision: 20 });
    h.put('k', 'b', 9, 10, { name: 'x', token: 10, outcome: 'fail', error: 'FENCED' });
    h.put('k', 'c', 9, 10, { name: 'x', token: 10, outcome: 'unknown' });
    expect(checkStaleFence(h.ops)).toEqual({ checked: 1, violations: [] });
  });

  it('flags a stale write accepted, showing the newer grant and the write', () => {
    const h = handedOver();
    const write = h.put('k', 'a', 9, 10, { name: 'x', token: 10, revision: 20 });
    const { violations } = checkStaleFence(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'stale write to k accepted: fenced by x token 10 after token 11 was granted',
    ]);
    expect(violations[0]!.excerpt).toEqual([h.ops[4], write]);
  });

  it('does not flag a write sent before the newer grant was acknowledged', () => {
    const h = handedOver();
    h.put('k', 'a', 7.5, 10, { name: 'x', token: 10, revision: 20 });
    expect(checkStaleFence(h.ops).violations).toEqual([]);
  });
});
