import { describe, expect, it } from 'vitest';
import type { LeaseholdError } from '../errors.js';
import type { PermitAcquireResult } from '../semaphores/semaphore-store.js';
import { engineFixture } from './engine-fixture.js';
import { RW_WRITE_PERMITS } from './pool-records.js';
import type { PoolWaiter } from './pool-records.js';

const W = RW_WRITE_PERMITS;

function setup() {
  const fixture = engineFixture();
  const { engine } = fixture;
  const take = (leaseId: string, permits: number, kind: 'rwlock' | 'semaphore' = 'rwlock') =>
    engine.permits.tryAcquire({ key: 'k', leaseId, app: 'a', limit: W, permits, kind });
  return { ...fixture, take };
}

type Outcome = PermitAcquireResult | LeaseholdError;

function waiter(leaseId: string, permits: number, outcomes: Outcome[]): PoolWaiter {
  return { key: 'k', leaseId, app: 'a', permits, maxHoldMs: undefined, settle: (o) => outcomes.push(o) };
}

describe('the engine permit pools as read/write locks', () => {
  it('a downgrade drops the write and grants the read in one step, and the reads at the head join', () => {
    const { engine, changes, events, lease, take } = setup();
    const writer = lease();
    const write = take(writer, W);
    const r1: Outcome[] = [];
    const w2: Outcome[] = [];
    engine.permits.enqueue(waiter(lease(), 1, r1));
    engine.permits.enqueue(waiter(lease(), W, w2));
    changes.length = 0;
    const read = take(writer, 1);
    expect(read).toEqual({ acquired: true, fencingToken: expect.any(Number), permits: 1 });
    expect(read.acquired && write.acquired && read.fencingToken > write.fencingToken).toBe(true);
    expect(changes.filter((c) => c.kind.startsWith('grant')).map((c) => c.kind)).toEqual([
      'grant.delete',
      'grant.put',
      'grant.put',
    ]);
    expect(r1).toEqual([{ acquired: true, fencingToken: expect.any(Number), permits: 1 }]);
    expect(w2).toEqual([]);
    expect(engine.permits.permitsHeld).toBe(0);
    expect(write.acquired && engine.permits.checkFence('k', write.fencingToken)).toBe(false);
    expect(events.slice(-3).map((e) => [e.type, e.mode])).toEqual([
      ['permit.released', 'write'],
      ['permit.acquired', 'read'],
      ['permit.acquired', 'read'],
    ]);
  });

  it('counts read/write locks by the mode held, a downgrade included, and the waiters of each kind', () => {
    const { engine, lease, take } = setup();
    const writer = lease();
    take(writer, W);
    engine.permits.enqueue(waiter(lease(), 1, []));
    engine.permits.tryAcquire({ key: 's', leaseId: lease(), app: 'a', limit: 2, permits: 2 });
    engine.permits.enqueue({ ...waiter(lease(), 1, []), key: 's' });
    expect(engine.permits.counts()).toEqual({
      semaphores: 1,
      semaphoreWaiters: 1,
      rwlocksHeld: { read: 0, write: 1 },
      rwlockWaiters: 1,
    });
    take(writer, 1); // the downgrade: the queued read joins it
    expect(engine.permits.counts()).toMatchObject({ rwlocksHeld: { read: 1, write: 0 }, rwlockWaiters: 0 });
    expect(engine.permits.permitsHeld).toBe(2); // a read/write lock's weights are no permits
  });

  it('an upgrade is MODE_CONFLICT and leaves the read held', () => {
    const { lease, take } = setup();
    const reader = lease();
    const read = take(reader, 1);
    expect(() => take(reader, W)).toThrow(expect.objectContaining({ code: 'MODE_CONFLICT' }));
    expect(take(reader, 1)).toEqual(read);
  });

  it('a lease queued twice gets its held grant (or MODE_CONFLICT), never a second grant', () => {
    const { engine, lease, take } = setup();
    const blocker = lease();
    take(blocker, W);
    const twice = lease();
    const first: Outcome[] = [];
    const second: Outcome[] = [];
    const upgrade: Outcome[] = [];
    engine.permits.enqueue(waiter(twice, 1, first));
    engine.permits.enqueue(waiter(twice, 1, second));
    engine.permits.enqueue(waiter(twice, W, upgrade));
    engine.permits.release('k', blocker, 'a');
    expect(second).toEqual(first);
    expect(upgrade).toEqual([expect.objectContaining({ code: 'MODE_CONFLICT' })]);
    expect(engine.permits.describe('k')?.used).toBe(1);
  });

  it('a semaphore lease queued twice takes its permits once', () => {
    const { engine, lease, take } = setup();
    const blocker = lease();
    take(blocker, W, 'semaphore');
    const twice = lease();
    const outcomes: Outcome[] = [];
    engine.permits.enqueue(waiter(twice, 2, outcomes));
    engine.permits.enqueue(waiter(twice, 2, outcomes));
    engine.permits.release('k', blocker, 'a');
    expect(outcomes).toHaveLength(2);
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(engine.permits.describe('k')?.used).toBe(2);
    expect(engine.permits.permitsHeld).toBe(2);
  });
});
