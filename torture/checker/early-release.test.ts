import { describe, expect, it } from 'vitest';
import { checkEarlyRelease } from './early-release.js';
import { HistoryBuilder } from './history-builder.js';

/** L1 (TTL 100 from 0) holds x with token 10 from 3; L2 is a lease of its own. */
function held(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.lease('L1', 0, 100);
  h.acquire('x', 'L1', 2, 3, { token: 10 });
  h.lease('L2', 0, 1000);
  return h;
}

describe('property 5: no release before the TTL since the last acknowledged keep-alive', () => {
  it('passes a grant seen gone only after its TTL or its own release', () => {
    const h = held();
    h.add('lease.keepAlive', 50, 51, { leaseId: 'L1' });
    h.put('k', 'v', 150, 152, { name: 'x', token: 10, outcome: 'fail', error: 'FENCED' });
    h.add('lock.describe', 160, 161, { name: 'x', held: false });
    h.acquire('y', 'L1', 10, 11, { token: 3 });
    h.release('y', 'L1', 20, 21);
    h.add('lock.check', 22, 23, { name: 'y', token: 3, valid: false });
    expect(checkEarlyRelease(h.ops)).toEqual({ checked: 2, violations: [] });
  });

  it('flags an early release seen by the holder: a fenced write refused inside the TTL', () => {
    const h = held();
    const refused = h.put('k', 'v', 40, 41, { name: 'x', token: 10, outcome: 'fail', error: 'FENCED' });
    const { violations } = checkEarlyRelease(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'x token 10 of lease:L1 ended early: kv.put at 41 ms, before its TTL ran out at 100 ms',
    ]);
    expect(violations[0]!.excerpt).toEqual([h.ops[0], h.ops[1], refused]);
  });

  it('flags an early release to another holder asked for after the grant', () => {
    const h = held();
    h.add('lease.keepAlive', 80, 81, { leaseId: 'L1' });
    const other = h.acquire('x', 'L2', 120, 121, { token: 11 });
    expect(checkEarlyRelease(h.ops).violations.map((v) => v.excerpt.at(-1))).toEqual([other]);
  });

  it('flags the lease lost, a describe showing the lock free, and a check answering invalid', () => {
    for (const seen of [
      { kind: 'lease.keepAlive', leaseId: 'L1', outcome: 'fail', error: 'LEASE_NOT_FOUND' },
      { kind: 'lock.describe', name: 'x', held: false },
      { kind: 'lock.describe', name: 'x', held: true, token: 11 },
      { kind: 'lock.check', name: 'x', token: 10, valid: false },
    ] as const) {
      const h = held();
      const { kind, ...fields } = seen;
      h.add(kind, 30, 31, fields);
      expect(checkEarlyRelease(h.ops).violations, kind).toHaveLength(1);
    }
  });

  it('proves nothing by unknown outcomes or by an op answered after the TTL', () => {
    const h = held();
    h.put('k', 'v', 40, 41, { name: 'x', token: 10, outcome: 'unknown', error: 'timeout' });
    h.add('lease.keepAlive', 40, 120, { leaseId: 'L1', outcome: 'fail', error: 'LEASE_NOT_FOUND' });
    expect(checkEarlyRelease(h.ops).violations).toEqual([]);
  });
});
