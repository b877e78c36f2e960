import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { checkWatchStreams } from './watch-streams.js';

/** Puts to k1 acknowledged at revisions 1..5, one each 10 ms from 10. */
function puts(): HistoryBuilder {
  const h = new HistoryBuilder();
  for (let revision = 1; revision <= 5; revision++)
    h.put('k1', `v${revision}`, revision * 10, revision * 10 + 1, { revision });
  return h;
}

const open = (h: HistoryBuilder, stream: string, fields: { revision?: number } = {}, atMs = 5) =>
  h.add('watch.open', atMs, atMs + 1, { stream, key: 'k', process: stream, ...fields });

describe('property 7: watch streams in revision order, without gap or duplicate', () => {
  it('passes a stream that delivers every change once, in order', () => {
    const h = puts();
    open(h, 's1');
    for (const revision of [1, 2, 3, 4, 5]) h.event('s1', 'k1', revision, 100 + revision);
    open(h, 's2', { revision: 3 }, 200);
    h.event('s2', 'k1', 4, 201);
    open(h, 'other', {}, 5);
    expect(checkWatchStreams(h.ops)).toEqual({ checked: 3, violations: [] });
  });

  it('flags a gap, showing the deliveries around it and the write it missed', () => {
    const h = puts();
    open(h, 's1');
    for (const revision of [1, 2, 4, 5]) h.event('s1', 'k1', revision, 100 + revision);
    const { violations } = checkWatchStreams(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'watch s1 missed 1 changes (revisions 3) between 2 and 4',
    ]);
    expect(violations[0]!.excerpt.map((op) => [op.kind, op.revision])).toEqual([
      ['kv.put', 3],
      ['watch.event', 2],
      ['watch.event', 4],
    ]);
  });

  it('flags a duplicate event and a revision going back', () => {
    const h = puts();
    open(h, 's1');
    for (const revision of [1, 2, 2, 4, 3, 5]) h.event('s1', 'k1', revision, 100 + revision);
    expect(checkWatchStreams(h.ops).violations.map((v) => v.message)).toEqual([
      'watch s1 delivered put k1 at revision 2 twice',
      'watch s1 went back from revision 4 to 3',
    ]);
  });

  it('flags a silent compaction: a resume that skips changes with no error event', () => {
    const h = puts();
    open(h, 's1', { revision: 1 }, 100);
    for (const revision of [4, 5]) h.event('s1', 'k1', revision, 100 + revision);
    const { violations } = checkWatchStreams(h.ops);
    expect(violations.map((v) => v.message)).toEqual([
      'watch s1 resumed after revision 1 but began at 4: 2 changes (2..3) skipped with no error event (a silent compaction?)',
    ]);
    expect(violations[0]!.excerpt.map((op) => op.kind)).toEqual(['kv.put', 'watch.open', 'watch.event']);
  });

  it('passes a compaction reported by an error event, and flags events after it', () => {
    const h = puts();
    open(h, 's1', { revision: 1 }, 100);
    h.add('watch.error', 102, 102, { stream: 's1', error: 'COMPACTED', revision: 4 });
    expect(checkWatchStreams(h.ops).violations).toEqual([]);
    h.event('s1', 'k1', 4, 103);
    expect(checkWatchStreams(h.ops).violations.map((v) => v.message)).toEqual([
      'watch s1 delivered an event after its error COMPACTED',
    ]);
  });

  it('flags a fresh watch missing a write sent after it said it was watching', () => {
    const h = puts();
    open(h, 's1', {}, 25);
    for (const revision of [4, 5]) h.event('s1', 'k1', revision, 100 + revision);
    expect(checkWatchStreams(h.ops).violations.map((v) => v.message)).toEqual([
      'watch s1 missed 1 changes (revisions 3) between its start and 4',
    ]);
  });

  it('knows changes from other streams, and several changes of one revision apart', () => {
    const h = new HistoryBuilder();
    open(h, 's1');
    open(h, 's2');
    h.event('s1', 'k1', 1, 10);
    h.event('s1', 'k2', 2, 11, 'lock.released');
    h.event('s1', 'k3', 2, 11, 'lease.expired');
    h.event('s1', 'k1', 3, 12);
    h.event('s2', 'k1', 1, 10);
    h.event('s2', 'k2', 2, 11, 'lock.released');
    h.event('s2', 'k1', 3, 12);
    expect(checkWatchStreams(h.ops).violations.map((v) => v.message)).toEqual([
      'watch s2 missed 1 changes (revisions 2) between 2 and 3',
    ]);
  });
});
