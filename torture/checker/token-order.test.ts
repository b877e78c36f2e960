import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { checkTokenOrder } from './token-order.js';

describe('property 2: tokens strictly rising per name', () => {
  it('passes rising tokens, with gaps left by grants never acknowledged', () => {
    const h = HistoryBuilder.released();
    h.acquire('x', 'L2', 6, 200, { outcome: 'unknown' });
    h.acquire('x', 'L2', 300, 301, { token: 14 });
    h.acquire('y', 'L1', 7, 8, { token: 1 });
    expect(checkTokenOrder(h.ops)).toEqual({ checked: 3, violations: [] });
  });

  it('flags a token going backwards, showing the two grants', () => {
    const h = HistoryBuilder.released();
    const later = h.acquire('x', 'L2', 7, 8, { token: 9 });
    const { violations } = checkTokenOrder(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'token of x went backwards: 10 granted, then 9 asked for later',
    ]);
    expect(violations[0]!.excerpt).toEqual([h.ops[2], later]);
  });

  it('does not order grants that overlap in time: either may have come first', () => {
    const h = HistoryBuilder.released();
    h.acquire('x', 'L2', 1, 8, { token: 9 });
    expect(checkTokenOrder(h.ops).violations).toEqual([]);
  });

  it('flags a token granted to two holders, but not one grant acknowledged twice', () => {
    const h = HistoryBuilder.released();
    h.acquire('x', 'L1', 2.5, 4, { token: 10 });
    expect(checkTokenOrder(h.ops).violations).toEqual([]);
    h.acquire('x', 'L2', 1, 9, { token: 10 });
    expect(checkTokenOrder(h.ops).violations.map((v) => v.message)).toEqual([
      'token 10 of x granted twice: lease:L1, lease:L2',
    ]);
  });
});
