import { describe, expect, it } from 'vitest';
import type { Change } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import { LockEngine } from './lock-engine.js';
import type { Waiter } from './engine-sink.js';
import type { AcquireResult, WatchEvent } from '../types.js';

function setup() {
  let now = 1_000;
  const changes: Change[] = [];
  const events: WatchEvent[] = [];
  const engine = new LockEngine(
    { now: () => now, wallNow: () => 1_700_000_000_000 + now },
    { change: (c) => changes.push(c), event: (e) => events.push(e) },
  );
  return { engine, changes, events, advance: (ms: number) => (now += ms) };
}

function waiter(key: string, leaseId: string, outcomes: (AcquireResult | LeaseholdError)[]): Waiter {
  return { key, leaseId, app: 'a', maxHoldMs: undefined, settle: (o) => outcomes.push(o) };
}

describe('LockEngine with an injected clock', () => {
  it('never expires a lease before its TTL, and expires it once due', () => {
    const { engine, advance } = setup();
    const lease = engine.grantLease(5_000, undefined, 'a');
    engine.tryAcquire('k', lease.id, 'a');
    advance(4_999);
    expect(engine.expireDue(100)).toBe(0);
    expect(engine.describeLock('k').held).toBe(true);
    advance(1);
    expect(engine.expireDue(100)).toBe(1);
    expect(engine.describeLock('k').held).toBe(false);
    expect(engine.getLease(lease.id, 'a')).toBeUndefined();
  });

  it('a keep-alive restarts the countdown at the full TTL', () => {
    const { engine, advance } = setup();
    const lease = engine.grantLease(1_000, undefined, 'a');
    advance(900);
    expect(engine.keepAlive(lease.id, 'a')).toBeDefined();
    advance(900);
    expect(engine.expireDue(100)).toBe(0);
    expect(engine.getLease(lease.id, 'a')?.remainingMs).toBe(100);
    advance(100);
    expect(engine.expireDue(100)).toBe(1);
  });

  it('a lapsed lease that is not yet swept can no longer be kept alive or used', () => {
    const { engine, advance } = setup();
    const lease = engine.grantLease(1_000, undefined, 'a');
    advance(1_000);
    expect(engine.keepAlive(lease.id, 'a')).toBeUndefined();
    expect(() => engine.tryAcquire('k', lease.id, 'a')).toThrow(LeaseholdError);
  });

  it('expires in bounded batches, earliest first', () => {
    const { engine, advance } = setup();
    const ids = Array.from({ length: 10 }, (_, i) => engine.grantLease(1_000 + i, undefined, 'a').id);
    advance(2_000);
    expect(engine.expireDue(4)).toBe(4);
    expect(engine.leaseCount).toBe(6);
    expect(engine.getLease(ids[3]!, 'a')).toBeUndefined();
    expect(engine.expireDue(100)).toBe(6);
    expect(engine.nextDeadline()).toBeUndefined();
  });

  it('hands a released lock to the head waiter directly, in arrival order', () => {
    const { engine } = setup();
    const holder = engine.grantLease(10_000, undefined, 'a').id;
    engine.tryAcquire('k', holder, 'a');
    const outcomes: (AcquireResult | LeaseholdError)[][] = [[], [], []];
    const leases = outcomes.map(() => engine.grantLease(10_000, undefined, 'a').id);
    leases.forEach((id, i) => engine.enqueue(waiter('k', id, outcomes[i]!)));
    expect(engine.describeLock('k').waiters).toBe(3);
    engine.release('k', holder, 'a');
    expect(outcomes[0]).toEqual([{ acquired: true, fencingToken: expect.any(Number) }]);
    expect(outcomes[1]).toEqual([]);
    expect(engine.describeLock('k').leaseId).toBe(leases[0]);
    engine.revokeLease(leases[0]!, 'a');
    expect(engine.describeLock('k').leaseId).toBe(leases[1]);
  });

  it('maxHoldMs releases the lock and hands it on, while the lease lives', () => {
    const { engine, advance } = setup();
    const holder = engine.grantLease(60_000, undefined, 'a').id;
    engine.tryAcquire('k', holder, 'a', 500);
    const outcomes: (AcquireResult | LeaseholdError)[] = [];
    engine.enqueue(waiter('k', engine.grantLease(60_000, undefined, 'a').id, outcomes));
    advance(499);
    engine.expireDue(100);
    expect(outcomes).toEqual([]);
    advance(1);
    engine.expireDue(100);
    expect(outcomes).toHaveLength(1);
    expect(engine.getLease(holder, 'a')?.locks).toEqual([]);
  });

  it('records every change for the journal and every event with a rising revision', () => {
    const { engine, changes, events } = setup();
    const lease = engine.grantLease(10_000, 'me', 'a');
    const result = engine.tryAcquire('k', lease.id, 'a');
    engine.put({ app: 'a', key: 'v', value: 'x', leaseId: lease.id });
    engine.revokeLease(lease.id, 'a');
    expect(changes.map((c) => c.kind)).toEqual([
      'lease.put',
      'revision',
      'lock.put',
      'revision',
      'kv.put',
      'lease.delete',
      'kv.delete',
      'revision',
      'lock.delete',
      'revision',
    ]);
    expect(events.map((e) => e.type)).toEqual(['lock.acquired', 'put', 'delete', 'lock.released']);
    expect(result).toEqual({ acquired: true, fencingToken: events[0]!.revision });
    expect(events.map((e) => e.revision)).toEqual([1, 2, 3, 4]);
  });
});
