import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { checkPermitBound } from './permit-bound.js';

/** Leases S1–S3 (TTL 1000 from 0); S1 holds 2 of s's 3 permits from 3, S2 one from 4. */
function full(): HistoryBuilder {
  const h = new HistoryBuilder();
  for (const id of ['S1', 'S2', 'S3']) h.lease(id, 0, 1000);
  h.permits('s', 'S1', 2, 3, 2, { token: 10 });
  h.permits('s', 'S2', 2, 4, 1, { token: 11 });
  return h;
}

describe('permit-bound: Σ permits of valid grants ≤ limit', () => {
  it('passes a full semaphore whose next grant waits for a release', () => {
    const h = full();
    h.add('semaphore.release', 20, 21, { name: 's', leaseId: 'S1', process: 'S1' });
    h.permits('s', 'S3', 5, 20, 2, { token: 12 });
    expect(checkPermitBound(h.ops)).toEqual({ checked: 3, violations: [] });
  });

  it('flags a grant past the limit, showing the grants and the leases that kept them', () => {
    const h = full();
    const third = h.permits('s', 'S3', 5, 6, 1, { token: 12 });
    const { violations } = checkPermitBound(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      '4 permits of s valid at once, limit 3: lease:S3 (token 12), lease:S1 (token 10), lease:S2 (token 11) at 6 ms',
    ]);
    expect(violations[0]!.property).toBe('permit-bound');
    expect(violations[0]!.excerpt.map((op) => op.index)).toEqual([0, 1, 2, 3, 4, third.index]);
  });

  it('ends a grant at its lease expiry, its revoke, or a release of any outcome', () => {
    const h = new HistoryBuilder();
    h.lease('S1', 0, 100);
    h.lease('S2', 0, 1000);
    h.lease('S3', 0, 1000);
    h.permits('s', 'S1', 1, 2, 3);
    h.permits('s', 'S2', 2, 101, 3);
    h.add('lease.revoke', 110, 111, { leaseId: 'S2' });
    h.permits('s', 'S3', 5, 112, 2);
    h.add('semaphore.release', 120, 900, { name: 's', leaseId: 'S3', outcome: 'unknown' });
    h.lease('S4', 125, 1000);
    h.permits('s', 'S4', 130, 131, 1);
    expect(checkPermitBound(h.ops)).toEqual({ checked: 4, violations: [] });
  });

  it('counts an acquire again on the holding lease once, and never an unknown acquire', () => {
    const h = full();
    h.permits('s', 'S1', 5, 6, 2, { token: 10 });
    h.permits('s', 'S3', 5, 900, 2, { outcome: 'unknown' });
    expect(checkPermitBound(h.ops).violations).toEqual([]);
  });

  it('holds the grants to the lowest limit they were granted under', () => {
    const h = full();
    h.permits('s', 'S3', 5, 6, 1, { token: 12, limit: 5 });
    expect(checkPermitBound(h.ops).violations).toHaveLength(1);
  });
});
