import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, idempotencyOf } from '@leasehold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteJournal } from './sqlite-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lock.sqlite restart', () => {
  it('restores leases, locks, keys, counters and the revision from disk', async () => {
    const path = join(dir, 'restart.sqlite');
    const before = new LocalStore({ journal: new SqliteJournal(path) });
    const lease = await before.leases.grant({ app: 'test', ttlMs: 60_000, owner: 'keeper' });
    const held = await before.locks.acquire({ app: 'test', key: 'held', leaseId: lease.id });
    const gone = await before.locks.acquire({ app: 'test', key: 'gone', leaseId: lease.id });
    await before.locks.release('gone', lease.id, 'test');
    await before.kv.put({ app: 'test', key: 'bound', value: 'v', leaseId: lease.id });
    await before.counters.add('c', 7);
    const revision = before.stats().revision;
    await before.close();

    const after = new LocalStore({ journal: new SqliteJournal(path) });
    try {
      const info = await after.locks.describe('held');
      expect(info).toMatchObject({ held: true, leaseId: lease.id, owner: 'keeper' });
      expect(info.fencingToken).toBe(held.acquired ? held.fencingToken : -1);
      expect((await after.locks.describe('gone')).held).toBe(false);
      expect((await after.kv.get('bound'))?.leaseId).toBe(lease.id);
      expect(await after.counters.get('c')).toBe(7);
      expect(after.stats().revision).toBe(revision);
      await after.kv.put({ app: 'test', key: 'a-new', value: 'v' });
      expect((await after.kv.list('', undefined, 10)).map((e) => e.key)).toEqual(['a-new', 'bound']);
      // The countdown restarted at the full TTL.
      expect((await after.leases.get(lease.id, 'test'))?.remainingMs).toBeGreaterThan(59_000);
      const other = await after.leases.grant({ app: 'test', ttlMs: 60_000 });
      const next = await after.locks.acquire({ app: 'test', key: 'gone', leaseId: other.id });
      expect(next.acquired && gone.acquired && next.fencingToken > gone.fencingToken).toBe(true);
    } finally {
      await after.close();
    }
  });

  it('keeps idempotency keys across a restart: a retry after it replays the first result', async () => {
    const path = join(dir, 'idempotency.sqlite');
    const add = idempotencyOf('test', 'counters.add', 'c', 'retry-1', { delta: 5 });
    const put = idempotencyOf('test', 'kv.put', 'k', 'retry-2', { value: 'v' });
    const before = new LocalStore({ journal: new SqliteJournal(path) });
    expect(await before.counters.add('c', 5, add)).toBe(5);
    const first = await before.kv.put({
      app: 'test',
      key: 'k',
      value: 'v',
      ...(put && { idempotency: put }),
    });
    await before.close();

    const after = new LocalStore({ journal: new SqliteJournal(path) });
    try {
      expect(await after.counters.add('c', 5, add)).toBe(5);
      expect(await after.counters.get('c')).toBe(5);
      expect(
        await after.kv.put({ app: 'test', key: 'k', value: 'v', ...(put && { idempotency: put }) }),
      ).toEqual(first);
      expect((await after.kv.get('k'))?.version).toBe(1);
    } finally {
      await after.close();
    }
  });
});
