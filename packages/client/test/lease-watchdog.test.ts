import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseWatchdog } from '../src/lease-watchdog.js';
import type { WatchedLease } from '../src/lease-watchdog.js';
import { useSetup } from './support/setups.js';

/** A lease whose validity deadline the test moves, recording when the watchdog judged it lost. */
function fakeLease(deadline: number, lostAt: Map<string, number>, name: string) {
  const lease = {
    deadline,
    looks: 0,
    recheck(nowMs: number): number | undefined {
      lease.looks++;
      if (nowMs < lease.deadline) return lease.deadline;
      lostAt.set(name, nowMs);
      return undefined;
    },
  } satisfies WatchedLease & { deadline: number; looks: number };
  return lease;
}

describe('LeaseWatchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('judges many leases with one timer, each at its deadline, never before', () => {
    const watchdog = new LeaseWatchdog();
    const lostAt = new Map<string, number>();
    const start = performance.now();
    const leases = [300, 100, 200].map((ms) => fakeLease(start + ms, lostAt, String(ms)));
    for (const lease of leases) watchdog.watch(LeaseWatchdog.entryFor(lease), lease.deadline);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(lostAt.size).toBe(0);
    vi.advanceTimersByTime(201);
    expect([...lostAt].map(([name, at]) => [name, at - start])).toEqual([
      ['100', 100],
      ['200', 200],
      ['300', 300],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('looks again at a lease whose deadline a keep-alive moved, and judges it at the new one', () => {
    const watchdog = new LeaseWatchdog();
    const lostAt = new Map<string, number>();
    const start = performance.now();
    const lease = fakeLease(start + 100, lostAt, 'moved');
    const entry = LeaseWatchdog.entryFor(lease);
    watchdog.watch(entry, lease.deadline);
    lease.deadline = start + 250; // acknowledged: only the lease's own deadline moves
    watchdog.watch(entry, lease.deadline); // already watched: no second place in the heap
    vi.advanceTimersByTime(100);
    expect(lostAt.size).toBe(0);
    expect(lease.looks).toBe(1);
    vi.advanceTimersByTime(149);
    expect(lostAt.size).toBe(0);
    vi.advanceTimersByTime(1);
    expect(lostAt.get('moved')! - start).toBe(250);
  });

  it('stops its timer with the last lease unwatched', () => {
    const watchdog = new LeaseWatchdog();
    const lease = fakeLease(performance.now() + 100, new Map(), 'gone');
    const entry = LeaseWatchdog.entryFor(lease);
    watchdog.watch(entry, lease.deadline);
    watchdog.unwatch(entry);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(lease.looks).toBe(0);
  });
});

describe('a lease over the stream, between calls', () => {
  const client = useSetup('stream');

  // 100,000 leases each holding a lock: an AbortController, a listener or a timer per lease was
  // most of the SDK's memory. Private state is read on purpose: the footprint is the contract.
  it('keeps no AbortSignal, loss listener or timer of its own once its calls settled', async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    const lock = await c.locks.tryAcquire('lock:footprint', { lease });
    expect(lock.acquired).toBe(true);
    await lock.release();
    const state = lease as unknown as Record<string, unknown>;
    expect(state.controller).toBeUndefined();
    expect(state.listeners).toBeUndefined();
    expect(Object.values(state).some((value) => value?.constructor?.name === 'Timeout')).toBe(false);
    await lease.revoke();
  });

  it('keeps its onLost listener bare, not in a Set, once a call on it settled', async () => {
    const c = client();
    const onLost = () => undefined;
    const lease = await c.leases.grant({ ttlMs: 5_000, onLost });
    const lock = await c.locks.tryAcquire('lock:footprint-on-lost', { lease });
    await lock.release();
    expect((lease as unknown as Record<string, unknown>).listeners).toBe(onLost);
    await lease.revoke();
  });
});
