import { describe, expect, it } from 'vitest';
import { checkEarlyRelease } from './early-release.js';
import { HistoryBuilder } from './history-builder.js';
import { checkRwExclusion } from './rw-exclusion.js';

/** Leases R1–R3 (TTL 1000 from 0); R1 and R2 read rw from 3 and 4. */
function read(): HistoryBuilder {
  const h = new HistoryBuilder();
  for (const id of ['R1', 'R2', 'R3']) h.lease(id, 0, 1000);
  h.rwlock('rw', 'R1', 'read', 2, 3, { token: 10 });
  h.rwlock('rw', 'R2', 'read', 2, 4, { token: 11 });
  return h;
}

describe('rw-exclusion: a writer never overlaps anyone', () => {
  it('passes shared reads, then a write once both let go, then a read after the write', () => {
    const h = read();
    h.add('rwlock.release', 10, 11, { name: 'rw', leaseId: 'R1', process: 'R1' });
    h.add('lease.revoke', 12, 13, { leaseId: 'R2' });
    h.rwlock('rw', 'R3', 'write', 5, 12, { token: 12 });
    h.add('rwlock.release', 20, 21, { name: 'rw', leaseId: 'R3', process: 'R3' });
    h.rwlock('rw', 'R1', 'read', 15, 20, { token: 13 });
    expect(checkRwExclusion(h.ops)).toEqual({ checked: 4, violations: [] });
    expect(checkEarlyRelease(h.ops).violations).toEqual([]);
  });

  it('flags a write granted while reads are held', () => {
    const h = read();
    const write = h.rwlock('rw', 'R3', 'write', 5, 6, { token: 12 });
    const { violations } = checkRwExclusion(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'a write of rw valid beside another grant: lease:R3 (token 12), lease:R1 (token 10) (write and read) at 6 ms',
    ]);
    expect(violations[0]!.excerpt.map((op) => op.index)).toEqual([0, 2, 3, write.index]);
  });

  it('flags a read granted while a write is held, and two writes at once', () => {
    const h = new HistoryBuilder();
    for (const id of ['W1', 'W2', 'R1']) h.lease(id, 0, 1000);
    h.rwlock('rw', 'W1', 'write', 1, 2, { token: 10 });
    h.rwlock('rw', 'R1', 'read', 3, 4, { token: 11 });
    h.rwlock('other', 'W1', 'write', 1, 2, { token: 12 });
    h.rwlock('other', 'W2', 'write', 3, 4, { token: 13 });
    const { violations } = checkRwExclusion(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/^a write of rw valid beside .* \(read and write\) at 4 ms$/),
      expect.stringMatching(/^a write of other valid beside .* \(write and write\) at 4 ms$/),
    ]);
  });

  it('lets a write follow a read whose lease expired, and never holds an unknown acquire against it', () => {
    const h = new HistoryBuilder();
    h.lease('R1', 0, 100);
    h.lease('W1', 0, 1000);
    h.rwlock('rw', 'R1', 'read', 1, 2, { token: 10 });
    h.rwlock('rw', 'W1', 'write', 3, 101, { token: 11 });
    h.rwlock('rw', 'R1', 'write', 102, 500, { outcome: 'unknown' });
    expect(checkRwExclusion(h.ops).violations).toEqual([]);
  });

  it('counts a rival write inside a read as an early release, but not another read', () => {
    const h = read();
    expect(checkEarlyRelease(h.ops).violations).toEqual([]);
    const write = h.rwlock('rw', 'R3', 'write', 5, 6, { token: 12 });
    const early = checkEarlyRelease(h.ops).violations;
    expect(early.map((v) => v.excerpt.at(-1))).toEqual([write, write]);
  });
});
