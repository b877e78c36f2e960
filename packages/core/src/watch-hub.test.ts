import { describe, expect, it } from 'vitest';
import type { LeaseholdError } from './errors.js';
import type { WatchEvent } from './types.js';
import { WatchCompactedError } from './watch/watch-compacted.js';
import { WatchHub } from './watch-hub.js';

const put = (revision: number): WatchEvent => ({ type: 'put', key: `k${revision}`, revision, value: 'v' });

function resume(hub: WatchHub, afterRevision: number) {
  const events: number[] = [];
  const errors: LeaseholdError[] = [];
  let live = false;
  hub.subscribe({
    prefix: '',
    afterRevision,
    onEvent: (event) => events.push(event.revision),
    onLive: () => (live = true),
    onError: (error) => errors.push(error),
  });
  return { events, errors, live };
}

describe('WatchHub', () => {
  it('replays what it retains after the revision asked for, then is live', () => {
    const hub = new WatchHub(10);
    hub.publish([put(1), put(2), put(3)]);
    expect(resume(hub, 1)).toEqual({ events: [2, 3], errors: [], live: true });
  });

  it('ends a resume from before its trimmed history with the oldest revision it still has', () => {
    const hub = new WatchHub(3);
    for (let revision = 1; revision <= 7; revision++) hub.publish([put(revision)]);
    const { events, errors, live } = resume(hub, 2);
    expect(events).toEqual([]);
    expect(live).toBe(false);
    expect(errors[0]).toBeInstanceOf(WatchCompactedError);
    expect(errors[0]).toMatchObject({ code: 'WATCH_COMPACTED', oldestRevision: 5 });
    expect(resume(hub, 4)).toEqual({ events: [5, 6, 7], errors: [], live: true });
  });

  it('retains nothing from before the revision it started at (a restored store)', () => {
    const hub = new WatchHub(10);
    hub.startAt(40);
    hub.publish([put(41)]);
    expect(resume(hub, 39).errors[0]).toMatchObject({ oldestRevision: 41 });
    expect(resume(hub, 40).events).toEqual([41]);
  });

  it('without a history, a resume from before the last event is a gap', () => {
    const hub = new WatchHub(0);
    hub.publish([put(1), put(2)]);
    expect(resume(hub, 1).errors[0]).toMatchObject({ oldestRevision: 3 });
    expect(resume(hub, 2)).toEqual({ events: [], errors: [], live: true });
  });
});
