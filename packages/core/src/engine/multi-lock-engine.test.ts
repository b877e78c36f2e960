import { describe, expect, it } from 'vitest';
import type { LeaseholdError } from '../errors.js';
import type { AcquireAllResult } from '../locks/multi-lock-store.js';
import type { AcquireResult } from '../types.js';
import type { LockWaiter, MultiWaiter } from './engine-sink.js';
import { engineFixture } from './engine-fixture.js';

const setup = engineFixture;

function multiWaiter(
  keys: string[],
  leaseId: string,
  outcomes: (AcquireAllResult | LeaseholdError)[],
): MultiWaiter {
  return { keys, leaseId, app: 'a', maxHoldMs: undefined, settle: (o) => outcomes.push(o) };
}

function lockWaiter(key: string, leaseId: string, outcomes: (AcquireResult | LeaseholdError)[]): LockWaiter {
  return { key, leaseId, app: 'a', maxHoldMs: undefined, settle: (o) => outcomes.push(o) };
}

describe('LockEngine multi-locks', () => {
  it('grants a whole set in one step: its grants are journaled and announced back to back', () => {
    const { engine, events, lease } = setup();
    const [h, w] = [lease(), lease()];
    engine.tryAcquire('b', h, 'a');
    const outcomes: (AcquireAllResult | LeaseholdError)[] = [];
    engine.enqueueAll(multiWaiter(['a', 'b', 'c'], w, outcomes));
    expect(engine.waiterCount).toBe(1);
    expect(['a', 'b', 'c'].map((k) => engine.describeLock(k).waiters)).toEqual([1, 1, 1]);
    events.length = 0;
    engine.release('b', h, 'a');
    expect(outcomes).toHaveLength(1);
    expect(events.map((e) => [e.type, e.key])).toEqual([
      ['lock.released', 'b'],
      ['lock.acquired', 'a'],
      ['lock.acquired', 'b'],
      ['lock.acquired', 'c'],
    ]);
    expect(engine.waiterCount).toBe(0);
  });

  it('a key its own lease holds needs no turn in that queue: no hold-and-wait stall', () => {
    const { engine, lease } = setup();
    const [mine, other, blocker] = [lease(), lease(), lease()];
    engine.tryAcquire('a', mine, 'a');
    engine.tryAcquire('b', blocker, 'a');
    const single: (AcquireResult | LeaseholdError)[] = [];
    engine.enqueue(lockWaiter('a', other, single));
    const outcomes: (AcquireAllResult | LeaseholdError)[] = [];
    engine.enqueueAll(multiWaiter(['a', 'b'], mine, outcomes));
    engine.release('b', blocker, 'a');
    expect(outcomes).toEqual([
      { acquired: true, fencingTokens: { a: engine.describeLock('a').fencingToken, b: expect.any(Number) } },
    ]);
    expect(single).toEqual([]);
    expect(engine.describeQueue('a').map((q) => q.leaseId)).toEqual([other]);
  });

  it('a composite that leaves lets the single waiter behind it on a free lock go at once', () => {
    const { engine, lease } = setup();
    const [h, w, s] = [lease(), lease(), lease()];
    engine.tryAcquire('b', h, 'a');
    const composite = multiWaiter(['a', 'b'], w, []);
    engine.enqueueAll(composite);
    const single: (AcquireResult | LeaseholdError)[] = [];
    engine.enqueue(lockWaiter('a', s, single));
    expect(single).toEqual([]);
    expect(engine.cancelWaiter(composite)).toBe(true);
    expect(single).toEqual([{ acquired: true, fencingToken: expect.any(Number) }]);
    expect(engine.cancelWaiter(composite)).toBe(false);
  });

  it('revoking a waiting lease fails its composite and hands the lock it headed on', () => {
    const { engine, lease } = setup();
    const [h, w, s] = [lease(), lease(), lease()];
    engine.tryAcquire('b', h, 'a');
    const outcomes: (AcquireAllResult | LeaseholdError)[] = [];
    engine.enqueueAll(multiWaiter(['a', 'b'], w, outcomes));
    const single: (AcquireResult | LeaseholdError)[] = [];
    engine.enqueue(lockWaiter('a', s, single));
    engine.revokeLease(w, 'a');
    expect((outcomes[0] as LeaseholdError).code).toBe('LEASE_NOT_FOUND');
    expect(engine.describeLock('a').leaseId).toBe(s);
    expect(engine.describeLock('b').waiters).toBe(0);
  });

  it('two composites in crossed orders queue in one arrival order and both get their sets', () => {
    const { engine, lease } = setup();
    const [h, x, y] = [lease(), lease(), lease()];
    engine.tryAcquire('m', h, 'a');
    const first: (AcquireAllResult | LeaseholdError)[] = [];
    const second: (AcquireAllResult | LeaseholdError)[] = [];
    engine.enqueueAll(multiWaiter(['m', 'n'], x, first));
    engine.enqueueAll(multiWaiter(['n', 'm'], y, second));
    engine.release('m', h, 'a');
    expect(first).toHaveLength(1);
    expect(second).toEqual([]);
    engine.releaseAll(['m', 'n'], x, 'a');
    expect(second).toHaveLength(1);
    expect(engine.describeLock('n').leaseId).toBe(y);
  });
});
