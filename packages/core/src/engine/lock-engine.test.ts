import { describe, expect, it } from 'vitest';
import type { Change } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import { LockEngine } from './lock-engine.js';
import type { LockWaiter } from './engine-sink.js';
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

function waiter(key: string, leaseId: string, outcomes: (AcquireResult | LeaseholdError)[]): LockWaiter {
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

describe('LockEngine ending a lease', () => {
  /** One journal, event and waiter log, in the order the engine produced them, lease ids by name. */
  function recorded() {
    let now = 1_000;
    const log: string[] = [];
    const names = new Map<string, string>();
    const name = (id: string | undefined) => (id === undefined ? '' : (names.get(id) ?? id));
    const subject = (c: Change): string => {
      switch (c.kind) {
        case 'lease.put':
          return name(c.row.id);
        case 'lease.delete':
          return name(c.id);
        case 'lock.put':
        case 'kv.put':
        case 'pool.put':
        case 'grant.put':
        case 'idempotency.put':
          return c.row.key;
        case 'lock.delete':
        case 'kv.delete':
        case 'pool.delete':
        case 'grant.delete':
        case 'idempotency.delete':
          return c.key;
        case 'counter.put':
          return c.name;
        case 'revision':
          return String(c.revision);
      }
    };
    const engine = new LockEngine(
      { now: () => now, wallNow: () => 1_700_000_000_000 + now },
      {
        change: (c) => log.push(`journal ${c.kind} ${subject(c)}`),
        event: (e) =>
          log.push(`event ${e.type} ${name(e.key)} @${e.revision} lease=${name(e.leaseId)}`.trimEnd()),
      },
    );
    const lease = (label: string, ttlMs: number) => {
      const id = engine.grantLease(ttlMs, undefined, 'a').id;
      names.set(id, label);
      return id;
    };
    const waitOn = (key: string, leaseId: string): LockWaiter => ({
      key,
      leaseId,
      app: 'a',
      maxHoldMs: undefined,
      settle: (o) =>
        log.push(
          `settle ${name(leaseId)} on ${key}: ${o instanceof LeaseholdError ? o.code : `token ${o.acquired ? o.fencingToken : '-'}`}`,
        ),
    });
    return { engine, log, lease, waitOn, advance: (ms: number) => (now += ms) };
  }

  it('deletes, journals, announces, fails its waiters, deletes its keys, then releases and hands on each lock', () => {
    const { engine, log, lease, waitOn, advance } = recorded();
    const ending = lease('ending', 1_000);
    const next = lease('next', 60_000);
    const other = lease('other', 60_000);
    engine.tryAcquire('a', ending, 'a');
    engine.tryAcquire('b', ending, 'a');
    engine.tryAcquire('c', other, 'a');
    engine.put({ app: 'a', key: 'k1', value: 'x', leaseId: ending });
    engine.put({ app: 'a', key: 'k2', value: 'y', leaseId: ending });
    engine.enqueue(waitOn('b', next));
    engine.enqueue(waitOn('c', ending));
    log.length = 0;

    advance(1_000);
    expect(engine.expireDue(100)).toBe(1);
    expect(log).toEqual([
      'journal lease.delete ending',
      'journal revision 6',
      'event lease.expired ending @6 lease=ending',
      'settle ending on c: LEASE_NOT_FOUND',
      'journal kv.delete k1',
      'journal revision 7',
      'event delete k1 @7 lease=ending',
      'journal kv.delete k2',
      'journal revision 8',
      'event delete k2 @8 lease=ending',
      'journal lock.delete a',
      'journal revision 9',
      'event lock.released a @9 lease=ending',
      'journal lock.delete b',
      'journal revision 10',
      'event lock.released b @10 lease=ending',
      'journal revision 11',
      'journal lock.put b',
      'event lock.acquired b @11 lease=next',
      'settle next on b: token 11',
    ]);
    expect(engine.describeLock('c').waiters).toBe(0);
  });

  it('announces nothing of its own when revoked rather than expired', () => {
    const { engine, log, lease } = recorded();
    const ending = lease('ending', 1_000);
    engine.tryAcquire('a', ending, 'a');
    log.length = 0;
    engine.revokeLease(ending, 'a');
    expect(log).toEqual([
      'journal lease.delete ending',
      'journal lock.delete a',
      'journal revision 2',
      'event lock.released a @2 lease=ending',
    ]);
  });
});
