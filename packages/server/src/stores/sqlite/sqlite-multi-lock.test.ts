import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '@leasehold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteJournal } from './sqlite-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-sqlite-multi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (path: string) => new LocalStore({ journal: new SqliteJournal(path) });

describe('lock.sqlite restart, multi-locks', () => {
  it('keeps a whole set after a restart, tokens included, and the set stays ordinary locks', async () => {
    const path = join(dir, 'set.sqlite');
    const before = open(path);
    const lease = await before.leases.grant({ app: 'test', ttlMs: 60_000 });
    const keys = ['x', 'y', 'z'];
    const granted = await before.multiLock.acquireAll({ app: 'test', keys, leaseId: lease.id });
    expect(granted.acquired).toBe(true);
    const tokens = granted.acquired ? granted.fencingTokens : {};
    await before.close();

    const after = open(path);
    try {
      for (const key of keys) {
        expect(await after.locks.describe(key)).toMatchObject({ held: true, leaseId: lease.id });
        expect(await after.locks.check(key, tokens[key]!)).toBe(true);
      }
      const statuses = await after.multiLock.releaseAll(keys, lease.id, 'test');
      expect(statuses).toEqual({ x: 'released', y: 'released', z: 'released' });
    } finally {
      await after.close();
    }
  });

  it('a set handed to a waiter inside a release is journaled with that release: all or none survive', async () => {
    const path = join(dir, 'handoff.sqlite');
    const before = open(path);
    const holder = await before.leases.grant({ app: 'test', ttlMs: 60_000 });
    const waiter = await before.leases.grant({ app: 'test', ttlMs: 60_000 });
    await before.locks.acquire({ app: 'test', key: 'b', leaseId: holder.id });
    const waiting = before.multiLock.acquireAll({
      app: 'test',
      keys: ['a', 'b'],
      leaseId: waiter.id,
      waitMs: 10_000,
    });
    while ((await before.locks.describe('a')).waiters === 0) await new Promise((r) => setTimeout(r, 5));
    await before.locks.release('b', holder.id, 'test');
    const result = await waiting;
    expect(result.acquired).toBe(true);
    await before.close();

    const after = open(path);
    try {
      const held = await Promise.all(
        ['a', 'b'].map(async (key) => (await after.locks.describe(key)).leaseId),
      );
      expect(held).toEqual([waiter.id, waiter.id]);
    } finally {
      await after.close();
    }
  });
});
