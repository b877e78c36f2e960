import { describe, expect, it } from 'vitest';
import type { Change } from '../changes.js';
import type { LeaseholdError } from '../errors.js';
import type { PermitAcquireResult } from '../semaphores/semaphore-store.js';
import type { WatchEvent } from '../types.js';
import { LockEngine } from './lock-engine.js';
import type { PoolWaiter } from './pool-records.js';

function setup() {
  let now = 1_000;
  const changes: Change[] = [];
  const events: WatchEvent[] = [];
  const engine = new LockEngine(
    { now: () => now, wallNow: () => 1_700_000_000_000 + now },
    { change: (c) => changes.push(c), event: (e) => events.push(e) },
  );
  const lease = () => engine.grantLease(60_000, undefined, 'a').id;
  return { engine, changes, events, lease, advance: (ms: number) => (now += ms) };
}

type Outcome = PermitAcquireResult | LeaseholdError;

function waiter(leaseId: string, permits: number, outcomes: Outcome[]): PoolWaiter {
  return { key: 's', leaseId, app: 'a', permits, maxHoldMs: undefined, settle: (o) => outcomes.push(o) };
}

describe('the engine permit pools', () => {
  it("hands a revoked lease's permits to the head waiter inside the revoking step", () => {
    const { engine, changes, lease } = setup();
    const holder = lease();
    engine.permits.tryAcquire({ key: 's', leaseId: holder, app: 'a', limit: 2, permits: 2 });
    const outcomes: Outcome[] = [];
    engine.permits.enqueue(waiter(lease(), 2, outcomes));
    changes.length = 0;
    engine.revokeLease(holder, 'a');
    // Synchronously: no timer, no later turn.
    expect(outcomes).toEqual([{ acquired: true, fencingToken: expect.any(Number), permits: 2 }]);
    expect(changes.map((c) => c.kind)).toEqual([
      'lease.delete',
      'grant.delete',
      'revision',
      'revision',
      'grant.put',
    ]);
  });

  it('a blocked head that leaves lets those behind it in', () => {
    const { engine, lease } = setup();
    engine.permits.tryAcquire({ key: 's', leaseId: lease(), app: 'a', limit: 3, permits: 2 });
    const head: Outcome[] = [];
    const next: Outcome[] = [];
    const blocked = waiter(lease(), 3, head);
    engine.permits.enqueue(blocked);
    engine.permits.enqueue(waiter(lease(), 1, next));
    expect(next).toEqual([]);
    expect(engine.permits.cancelWaiter(blocked)).toBe(true);
    expect(next).toEqual([{ acquired: true, fencingToken: expect.any(Number), permits: 1 }]);
  });

  it('a waiter asking more than a lowered limit ends LIMIT_MISMATCH; the holders keep theirs', () => {
    const { engine, lease } = setup();
    const holder = lease();
    engine.permits.tryAcquire({ key: 's', leaseId: holder, app: 'a', limit: 4, permits: 3 });
    const outcomes: Outcome[] = [];
    engine.permits.enqueue(waiter(lease(), 3, outcomes));
    engine.permits.setLimit('s', 2, undefined);
    expect(outcomes).toEqual([expect.objectContaining({ code: 'LIMIT_MISMATCH', field: 'permits' })]);
    expect(engine.permits.describe('s')).toMatchObject({ limit: 2, used: 3 });
  });

  it('expires a hold at its deadline and drops an idle pool made by an acquire', () => {
    const { engine, lease, advance, events } = setup();
    const id = lease();
    engine.permits.tryAcquire({ key: 's', leaseId: id, app: 'a', limit: 1, permits: 1, maxHoldMs: 500 });
    advance(499);
    expect(engine.expireDue(10)).toBe(0);
    advance(1);
    expect(engine.expireDue(10)).toBe(1);
    expect(engine.permits.describe('s')).toBeUndefined();
    expect(events.map((e) => [e.type, e.permits])).toEqual([
      ['permit.acquired', 1],
      ['permit.released', 1],
    ]);
  });
});
