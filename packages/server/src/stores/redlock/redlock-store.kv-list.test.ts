import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { useRedlock } from '../../../test/support/redlock-harness.js';
import { mergeKeyPages } from './redlock-merge.js';

const PREFIX = 'leasehold:{lockstore}:';

describeWithBackend('redis-server', 'lock.redis key listing (Redlock over 3 masters)', (binary) => {
  const redlock = useRedlock(binary);
  let raws: Redis[] = [];
  beforeAll(() => {
    raws = redlock.servers.map((s) => new Redis({ host: '127.0.0.1', port: s.port }));
  });
  afterAll(() => {
    for (const r of raws) r.disconnect();
  });
  const names = async (prefix: string, after?: string, limit = 100) =>
    (await redlock.store.kv.list(prefix, after, limit)).map((e) => e.key);

  it('lists only keys a majority holds, and pages past keys only a minority holds', async () => {
    for (const key of ['m/a', 'm/z']) await redlock.store.kv.put({ app: 'x', key, value: 'v' });
    // A put that reached one master only (it failed as a whole): twelve keys between a and z.
    for (let i = 0; i < 12; i++) {
      const key = `m/k${String(i).padStart(2, '0')}`;
      await raws[0]!.hset(`${PREFIX}kv:${key}`, 'value', 'v', 'version', 1, 'rev', 1, 'lease', '', 'app', '');
      await raws[0]!.zadd(`${PREFIX}kvs`, 0, key);
    }
    expect(await names('m/', undefined, 2)).toEqual(['m/a', 'm/z']);
    expect(await names('m/', 'm/a', 5)).toEqual(['m/z']);
  });
});

describe('mergeKeyPages', () => {
  const row = (key: string, revision = 1) => ({ key, value: key, version: 1, revision });

  it('keeps majority keys up to the lowest full page, each at its newest revision', () => {
    const merged = mergeKeyPages(
      [[row('a'), row('b', 5), row('c')], [row('b', 7), row('c'), row('d')], undefined],
      3,
      2,
    );
    expect(merged.bound).toBe('c');
    expect(merged.entries.map((e) => [e.key, e.revision])).toEqual([
      ['b', 7],
      ['c', 1],
    ]);
  });

  it('has no bound when every page was short', () => {
    expect(mergeKeyPages([[row('a')], [row('a')], []], 3, 2)).toEqual({
      entries: [row('a')],
      bound: undefined,
    });
  });
});
