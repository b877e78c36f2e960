import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { checkMutualExclusion } from './mutual-exclusion.js';

/** L1 holds x from 3 (token 10, TTL 100 from 0); L2's lease is granted at 0 too. */
function held(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.lease('L1', 0, 100);
  h.lease('L2', 0, 1000);
  h.acquire('x', 'L1', 2, 3, { token: 10 });
  return h;
}

describe('property 1: mutual exclusion', () => {
  it('passes grants one after another', () => {
    const h = held();
    h.release('x', 'L1', 20, 21);
    h.acquire('x', 'L2', 22, 23, { token: 11 });
    expect(checkMutualExclusion(h.ops)).toEqual({ checked: 2, violations: [] });
  });

  it('flags a double grant, showing both grants and the leases that kept them alive', () => {
    const h = held();
    const second = h.acquire('x', 'L2', 10, 11, { token: 11 });
    const { violations } = checkMutualExclusion(h.ops);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toMatch(/two grants of x valid at once/);
    expect(violations[0]!.excerpt.map((op) => op.index)).toEqual([0, 1, 2, second.index]);
  });

  it('lets back-to-back grants touch: acknowledged the instant the release starts', () => {
    const h = held();
    h.release('x', 'L1', 20, 22);
    h.acquire('x', 'L2', 15, 20, { token: 11 });
    expect(checkMutualExclusion(h.ops).violations).toEqual([]);
  });

  it('ends a grant at its expiry, TTL after the lease grant started', () => {
    const h = held();
    h.acquire('x', 'L2', 100, 101, { token: 11 });
    expect(checkMutualExclusion(h.ops).violations).toEqual([]);
  });

  it('extends a grant by an acknowledged keep-alive, from its start', () => {
    const h = held();
    const keepAlive = h.add('lease.keepAlive', 90, 95, { leaseId: 'L1', process: 'L1' });
    h.acquire('x', 'L2', 150, 151, { token: 11 });
    const { violations } = checkMutualExclusion(h.ops);
    expect(violations.map((v) => v.excerpt)).toEqual([[h.ops[1], h.ops[2], keepAlive, h.ops[4]]]);
  });

  it('ends a grant at its maxHoldMs, counted from when it was asked for', () => {
    const h = held();
    h.add('lease.keepAlive', 90, 91, { leaseId: 'L1' });
    h.acquire('y', 'L1', 10, 11, { token: 3, maxHoldMs: 50 });
    const next = h.acquire('y', 'L2', 60, 61, { token: 4 });
    expect(checkMutualExclusion(h.ops).violations).toEqual([]);
    const sooner = { ...next, startMs: 55, endMs: 59 };
    expect(checkMutualExclusion([...h.ops.slice(0, -1), sooner]).violations).toHaveLength(1);
  });

  it('does not extend by a keep-alive that is unknown or started after the lease had expired', () => {
    const h = held();
    h.add('lease.keepAlive', 90, 300, { leaseId: 'L1', outcome: 'unknown' });
    h.add('lease.keepAlive', 120, 121, { leaseId: 'L1' });
    h.acquire('x', 'L2', 150, 151, { token: 11 });
    expect(checkMutualExclusion(h.ops).violations).toEqual([]);
  });

  it('never holds an unknown acquire or an unknown release against the service', () => {
    const h = held();
    h.acquire('y', 'L1', 2, 500, { outcome: 'unknown' });
    h.acquire('y', 'L2', 10, 11, { token: 4 });
    h.release('x', 'L1', 20, 500, { outcome: 'unknown' });
    h.acquire('x', 'L2', 25, 26, { token: 11 });
    expect(checkMutualExclusion(h.ops).violations).toEqual([]);
  });

  it('ends a grant at its lease revoke or an admin force-release', () => {
    const h = held();
    h.add('lease.revoke', 20, 21, { leaseId: 'L1' });
    h.acquire('x', 'L2', 22, 23, { token: 11 });
    h.add('lock.forceRelease', 30, 31, { name: 'x', process: 'admin' });
    h.acquire('x', 'L3', 32, 33, { token: 12, ttlMs: 50 });
    expect(checkMutualExclusion(h.ops).violations).toEqual([]);
  });

  it('ends a Dapr lock at its unlock by the same owner, and its TTL from the lock', () => {
    const h = new HistoryBuilder();
    h.add('dapr.lock', 0, 1, { name: 'r', owner: 'a', ttlMs: 1000, token: 1 });
    h.add('dapr.unlock', 5, 6, { name: 'r', owner: 'a' });
    h.add('dapr.lock', 7, 8, { name: 'r', owner: 'b', ttlMs: 50, token: 2 });
    h.add('dapr.lock', 60, 61, { name: 'r', owner: 'a', ttlMs: 50, token: 3 });
    expect(checkMutualExclusion(h.ops).violations).toEqual([]);
    h.add('dapr.lock', 70, 71, { name: 'r', owner: 'c', ttlMs: 50, token: 4 });
    expect(checkMutualExclusion(h.ops).violations).toHaveLength(1);
  });

  it('leaves semaphores and read/write locks to their own properties', () => {
    const h = new HistoryBuilder();
    h.lease('L1', 0, 1000);
    h.lease('L2', 0, 1000);
    h.permits('s', 'L1', 2, 3, 1, { limit: 1 });
    h.permits('s', 'L2', 2, 4, 1, { limit: 1 });
    h.rwlock('rw', 'L1', 'write', 2, 3);
    h.rwlock('rw', 'L2', 'write', 2, 4);
    expect(checkMutualExclusion(h.ops)).toEqual({ checked: 0, violations: [] });
  });
});
