import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryFormatError, parseHistory, readHistory } from './history-reader.js';
import { HistoryRecorder } from './history-recorder.js';

function recorder() {
  const lines: string[] = [];
  let now = 100;
  const clock = () => (now += 0.5);
  return { lines, recorder: new HistoryRecorder((line) => lines.push(line), clock) };
}

describe('HistoryRecorder', () => {
  it('writes one JSON line per op when it completes, numbered by invocation', () => {
    const { lines, recorder: history } = recorder();
    const grant = history.invoke('c1', 'lease.grant', { ttlMs: 1000 });
    const acquire = history.invoke('c2', 'lock.acquire', { name: 'x', leaseId: 'L2' });
    acquire('ok', { token: 7 });
    grant('ok', { leaseId: 'L1' });
    expect(parseHistory(lines.join('\n'))).toEqual([
      {
        index: 1,
        process: 'c2',
        kind: 'lock.acquire',
        name: 'x',
        leaseId: 'L2',
        startMs: 101,
        endMs: 101.5,
        outcome: 'ok',
        token: 7,
      },
      {
        index: 0,
        process: 'c1',
        kind: 'lease.grant',
        ttlMs: 1000,
        startMs: 100.5,
        endMs: 102,
        outcome: 'ok',
        leaseId: 'L1',
      },
    ]);
  });

  it('records instants with one time, and ops unfinished at close as unknown', () => {
    const { lines, recorder: history } = recorder();
    history.invoke('c1', 'kv.put', { key: 'k', value: 'v' });
    history.instant('w1', 'watch.event', { stream: 's1', key: 'k', revision: 3, event: 'put' });
    history.close();
    history.instant('w1', 'watch.event', { stream: 's1', revision: 4 });
    const [event, put] = parseHistory(lines.join('\n'));
    expect(event).toMatchObject({ index: 1, startMs: 101, endMs: 101, outcome: 'ok' });
    expect(put).toMatchObject({ index: 0, outcome: 'unknown', error: 'unfinished' });
    expect(lines).toHaveLength(2);
  });

  it('refuses to complete an op twice', () => {
    const complete = recorder().recorder.invoke('c1', 'lock.release');
    complete('fail', { error: 'not_held' });
    expect(() => complete('ok')).toThrow(/already completed/);
  });

  it('appends to a file that readHistory reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-history-'));
    try {
      const file = join(dir, 'h.jsonl');
      const history = HistoryRecorder.toFile(file);
      history.invoke('c1', 'kv.read', { key: 'k' })('ok', { value: null });
      history.close();
      expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
      expect(readHistory(file)).toMatchObject([{ kind: 'kv.read', value: null, outcome: 'ok' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseHistory', () => {
  it('names the line of a bad op', () => {
    const good = '{"index":0,"process":"c1","kind":"kv.read","startMs":1,"endMs":2,"outcome":"ok"}';
    expect(() => parseHistory(`${good}\n\n{"index":1}`)).toThrow(
      new HistoryFormatError(3, 'missing or bad "process"'),
    );
    expect(() => parseHistory(good.replace('"ok"', '"maybe"'))).toThrow(/line 1: missing or bad "outcome"/);
    expect(() => parseHistory('nope')).toThrow(/line 1: not JSON/);
  });
});
