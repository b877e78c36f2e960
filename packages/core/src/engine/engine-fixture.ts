import type { Change } from '../changes.js';
import type { WatchEvent } from '../types.js';
import { LockEngine } from './lock-engine.js';

/** For engine tests: an engine on a frozen clock recording its changes and events, and a lease maker (app `a`). */
export function engineFixture() {
  const changes: Change[] = [];
  const events: WatchEvent[] = [];
  const engine = new LockEngine(
    { now: () => 1_000, wallNow: () => 1_700_000_000_000 },
    { change: (c) => changes.push(c), event: (e) => events.push(e) },
  );
  const lease = () => engine.grantLease(60_000, undefined, 'a').id;
  return { engine, changes, events, lease };
}
