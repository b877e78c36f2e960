import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff.js';

describe('Backoff (cockatiel exponential backoff with decorrelated jitter)', () => {
  it('grows from the initial delay towards the cap, never past it, and starts over on reset', () => {
    const backoff = new Backoff(100, 2_000);
    const first = Array.from({ length: 200 }, () => {
      backoff.reset();
      return backoff.next();
    });
    expect(Math.max(...first)).toBeLessThan(200); // about the initial delay, jittered
    const run = Array.from({ length: 30 }, () => backoff.next());
    for (const delay of run) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
    expect(run.slice(-5).every((delay) => delay === 2_000 || delay > 500)).toBe(true);
  });
});
