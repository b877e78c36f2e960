import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { checkLostAck } from './lost-ack.js';

/** L1's release of x (token 10) is acknowledged at 6; then a server is killed. */
function releasedAt6(outcome: 'ok' | 'unknown' = 'ok'): HistoryBuilder {
  const h = HistoryBuilder.released(outcome);
  h.add('fault', 7, 7, { process: 'nemesis', fault: 'kill -9 server-1' });
  return h;
}

const describeX = (h: HistoryBuilder, fields: Parameters<HistoryBuilder['add']>[3]) =>
  h.add('lock.describe', 10, 11, { name: 'x', process: 'c9', ...fields });

describe('property 4: nothing acknowledged is lost', () => {
  it('passes a release that stays released across a restart', () => {
    const h = releasedAt6();
    describeX(h, { held: false });
    h.acquire('x', 'L2', 12, 13, { token: 11 });
    describeX(h, { held: true, token: 11, leaseId: 'L2' });
    expect(checkLostAck(h.ops)).toEqual({ checked: 3, violations: [] });
  });

  it('flags a lost acknowledged release: the released token is later current', () => {
    const h = releasedAt6();
    const seen = describeX(h, { held: true, token: 10, leaseId: 'L1' });
    const { violations } = checkLostAck(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'release of x (token 10) lost: lock.describe later shows it current',
    ]);
    expect(violations[0]!.excerpt).toEqual([h.ops[2], h.ops[3], seen]);
  });

  it('flags a released token later accepted on a fenced write or a check', () => {
    const h = releasedAt6();
    h.put('k', 'v', 10, 11, { name: 'x', token: 10, revision: 3 });
    h.add('lock.check', 12, 13, { name: 'x', token: 10, valid: true });
    expect(checkLostAck(h.ops).violations).toHaveLength(1);
  });

  it('does not hold an unknown release to having released', () => {
    const h = releasedAt6('unknown');
    describeX(h, { held: true, token: 10, leaseId: 'L1' });
    expect(checkLostAck(h.ops).violations).toEqual([]);
  });

  it('flags a lost revoke: the lease is kept alive after it', () => {
    const h = releasedAt6();
    h.add('lease.revoke', 8, 9, { leaseId: 'L1' });
    const alive = h.add('lease.keepAlive', 10, 11, { leaseId: 'L1' });
    expect(checkLostAck(h.ops).violations.map((v) => v.excerpt.at(-1))).toEqual([alive]);
  });

  it('flags a lost grant: a lower token described as current after it', () => {
    const h = releasedAt6();
    h.acquire('x', 'L2', 8, 9, { token: 12 });
    describeX(h, { held: true, token: 11, leaseId: 'L3' });
    expect(checkLostAck(h.ops).violations.map((v) => v.message)).toEqual([
      'grant of x token 12 lost: later described as held with token 11',
    ]);
  });

  it('flags a lost write: a later read shows an older revision, or nothing', () => {
    const h = new HistoryBuilder();
    const write = h.put('k', 'b', 0, 1, { revision: 5 });
    const older = h.add('kv.read', 2, 3, { key: 'k', value: 'a', revision: 3 });
    const none = h.add('kv.read', 2, 3, { key: 'k', value: null });
    h.add('kv.read', 0.5, 3, { key: 'k', value: 'a', revision: 3 });
    const { violations } = checkLostAck(h.ops);
    expect(violations.map((v) => v.excerpt)).toEqual([
      [write, older],
      [write, none],
    ]);
  });

  it('lets a key vanish after a delete that may have happened, or with its lease', () => {
    const h = new HistoryBuilder();
    h.put('k', 'b', 0, 1, { revision: 5 });
    h.add('kv.delete', 1, 20, { key: 'k', outcome: 'unknown' });
    h.put('j', 'b', 0, 1, { revision: 6, leaseId: 'L1' });
    h.add('kv.read', 2, 3, { key: 'k', value: null });
    h.add('kv.read', 2, 3, { key: 'j', value: null });
    expect(checkLostAck(h.ops).violations).toEqual([]);
  });
});
