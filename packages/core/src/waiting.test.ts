import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS } from './timer-delay.js';
import type { GiveUpReason } from './waiting.js';
import { Waiting, waitFor } from './waiting.js';

describe('Waiting', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  const recorder = () => {
    const reasons: GiveUpReason[] = [];
    return { reasons, onGiveUp: (reason: GiveUpReason) => void reasons.push(reason) };
  };

  it('gives up at the deadline, not before', () => {
    const { reasons, onGiveUp } = recorder();
    waitFor<number>({ waitMs: 100, onGiveUp });
    vi.advanceTimersByTime(99);
    expect(reasons).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reasons).toEqual(['timeout']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves settling to the store: giving up alone does not settle', () => {
    const wait = waitFor<number>({ waitMs: 10, onGiveUp: () => undefined });
    vi.advanceTimersByTime(10);
    expect(wait.settled).toBe(false);
    expect(wait.settle(7)).toBe(true);
    return expect(wait.promise).resolves.toBe(7);
  });

  it('settles exactly once; later outcomes are ignored', async () => {
    const wait = waitFor<string>({ waitMs: 10, onGiveUp: () => undefined });
    expect(wait.settle('first')).toBe(true);
    expect(wait.settle('second')).toBe(false);
    expect(wait.settle(new Error('late'))).toBe(false);
    expect(wait.settled).toBe(true);
    await expect(wait.promise).resolves.toBe('first');
  });

  it('rejects with an Error outcome and follows a promised one', async () => {
    const failed = waitFor<number>({ waitMs: 10, onGiveUp: () => undefined });
    failed.settle(new Error('lease ended'));
    await expect(failed.promise).rejects.toThrow('lease ended');
    const later = waitFor<number>({ waitMs: 10, onGiveUp: () => undefined });
    let resolve!: (n: number) => void;
    later.settle(new Promise<number>((r) => (resolve = r)));
    expect(later.settled).toBe(true);
    resolve(3);
    await expect(later.promise).resolves.toBe(3);
  });

  it('stops its timer and abort listener the moment it settles', () => {
    const { reasons, onGiveUp } = recorder();
    const controller = new AbortController();
    const wait = waitFor<number>({ waitMs: 100, signal: controller.signal, onGiveUp });
    expect(vi.getTimerCount()).toBe(1);
    wait.settle(1);
    expect(vi.getTimerCount()).toBe(0);
    controller.abort();
    vi.advanceTimersByTime(1_000);
    expect(reasons).toEqual([]);
  });

  it('gives up on abort, once, and then ignores the deadline', () => {
    const { reasons, onGiveUp } = recorder();
    const controller = new AbortController();
    waitFor<number>({ waitMs: 100, signal: controller.signal, onGiveUp });
    controller.abort();
    expect(reasons).toEqual(['abort']);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(reasons).toEqual(['abort']);
  });

  it('after the deadline gave up, a later abort is not reported again', () => {
    const { reasons, onGiveUp } = recorder();
    const controller = new AbortController();
    waitFor<number>({ waitMs: 5, signal: controller.signal, onGiveUp });
    vi.advanceTimersByTime(5);
    controller.abort();
    expect(reasons).toEqual(['timeout']);
  });

  it('gives up at once on a signal that is already aborted, arming nothing', () => {
    const { reasons, onGiveUp } = recorder();
    waitFor<number>({ waitMs: 100, signal: AbortSignal.abort(), onGiveUp });
    expect(reasons).toEqual(['abort']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('may be settled before it is armed (an early grant); arming then does nothing', async () => {
    const { reasons, onGiveUp } = recorder();
    const wait = new Waiting<number>();
    wait.settle(9);
    wait.arm({ waitMs: 10, signal: AbortSignal.abort(), onGiveUp });
    expect(reasons).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    await expect(wait.promise).resolves.toBe(9);
  });

  it('waits out a deadline past setTimeout range instead of firing early', () => {
    const { reasons, onGiveUp } = recorder();
    const waitMs = MAX_TIMER_DELAY_MS + 5_000;
    waitFor<number>({ waitMs, onGiveUp });
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(reasons).toEqual([]);
    vi.advanceTimersByTime(5_000);
    expect(reasons).toEqual(['timeout']);
  });

  it('reads the deadline on an injected clock', () => {
    const { reasons, onGiveUp } = recorder();
    let clock = 1_000;
    waitFor<number>({ waitMs: 50, onGiveUp, now: () => clock });
    clock += 20; // the timer fires while the clock says 30 ms are left: it waits them out
    vi.advanceTimersByTime(50);
    expect(reasons).toEqual([]);
    clock += 30;
    vi.advanceTimersByTime(30);
    expect(reasons).toEqual(['timeout']);
  });

  it('never keeps the process alive', () => {
    vi.useRealTimers();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const wait = waitFor<number>({ waitMs: 60_000, onGiveUp: () => undefined });
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    spy.mockRestore();
    expect(timer.hasRef()).toBe(false);
    wait.settle(0);
  });
});
