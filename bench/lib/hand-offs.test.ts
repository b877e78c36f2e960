import { describe, expect, it } from 'vitest';
import { writerOverlaps } from '../scenarios/rwlock.js';
import { analyzeHandOffs } from './hand-offs.js';
import type { Grant } from './hand-offs.js';

/** A grant released `holdMs` after it arrived. */
const grant = (seq: number, token: number, grantedAt: number, holdMs = 0): Grant => ({
  seq,
  token,
  grantedAt,
  releasedAt: grantedAt + holdMs,
});

describe('analyzeHandOffs', () => {
  it('times a lock hand-off from the release before it to the grant', () => {
    const result = analyzeHandOffs([grant(0, 1, 0, 2), grant(1, 2, 3, 2), grant(2, 3, 7)]);
    expect(result).toMatchObject({ handOffs: 2, fifoViolations: 0, overlaps: 0, p50Ms: 1, p99Ms: 2 });
  });

  it('times a semaphore hand-off from the release that made room: the (k − limit)-th', () => {
    // Limit 2: grants 0 and 1 take the permits; releases at 10 and 20 free them for grants 2 and 3.
    const grants = [grant(0, 1, 0, 10), grant(1, 2, 0, 20), grant(2, 3, 12, 100), grant(3, 4, 21, 100)];
    const result = analyzeHandOffs(grants, -Infinity, 2);
    expect(result).toMatchObject({ handOffs: 2, fifoViolations: 0, overlaps: 0, p50Ms: 1, p99Ms: 2 });
  });

  it('counts a grant with no permit free as an overlap, and grants out of arrival order', () => {
    const grants = [grant(0, 1, 0, 10), grant(2, 2, 0, 20), grant(1, 3, 5, 1)];
    expect(analyzeHandOffs(grants, -Infinity, 2)).toMatchObject({ overlaps: 1, fifoViolations: 1 });
  });
});

describe('writerOverlaps', () => {
  const held = (write: boolean, grantedAt: number, releasedAt: number) => ({ write, grantedAt, releasedAt });

  it('lets reads share and a write follow them', () => {
    expect(writerOverlaps([held(false, 0, 5), held(false, 1, 6), held(true, 6, 8), held(false, 8, 9)])).toBe(
      0,
    );
  });

  it('counts a write beside a read, a read beside a write, and two writes', () => {
    expect(writerOverlaps([held(false, 0, 5), held(true, 4, 6)])).toBe(1);
    expect(writerOverlaps([held(true, 0, 5), held(false, 4, 6)])).toBe(1);
    expect(writerOverlaps([held(true, 0, 5), held(true, 4, 6)])).toBe(1);
  });
});
