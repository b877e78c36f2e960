import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { atDeadline, MAX_TIMER_DELAY_MS, timerDelay } from './timer-delay.js';

describe('timerDelay', () => {
  it('is never negative, rounds up, and stays within setTimeout range', () => {
    expect(timerDelay(-5)).toBe(0);
    expect(timerDelay(1.2)).toBe(2);
    expect(timerDelay(MAX_TIMER_DELAY_MS * 4)).toBe(MAX_TIMER_DELAY_MS);
  });
});

describe('atDeadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires once at the deadline, not before', () => {
    const due = vi.fn();
    atDeadline(Date.now() + 100, due);
    vi.advanceTimersByTime(99);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(1_000);
    expect(due).toHaveBeenCalledOnce();
  });

  it('waits out a deadline past setTimeout range', () => {
    const due = vi.fn();
    atDeadline(Date.now() + MAX_TIMER_DELAY_MS + 10, due);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10);
    expect(due).toHaveBeenCalledOnce();
  });

  it('never fires once cancelled, even after re-arming for a far deadline', () => {
    const due = vi.fn();
    const cancel = atDeadline(Date.now() + MAX_TIMER_DELAY_MS + 10, due);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    cancel();
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(due).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires at once for a deadline already past', () => {
    const due = vi.fn();
    atDeadline(Date.now() - 50, due);
    vi.advanceTimersByTime(0);
    expect(due).toHaveBeenCalledOnce();
  });
});
