import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '@leasehold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteJournal } from './sqlite-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-sqlite-sem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lock.sqlite restart, semaphores', () => {
  it('keeps pools, their limits and grants; idle pools made by an acquire are gone', async () => {
    const path = join(dir, 'sem.sqlite');
    const before = new LocalStore({ journal: new SqliteJournal(path) });
    const lease = await before.leases.grant({ app: 'test', ttlMs: 60_000, owner: 'keeper' });
    const other = await before.leases.grant({ app: 'test', ttlMs: 60_000 });
    const held = await before.semaphores.acquire({
      app: 'test',
      key: 's',
      leaseId: lease.id,
      limit: 4,
      permits: 3,
    });
    await before.semaphores.acquire({ app: 'test', key: 'idle', leaseId: other.id, limit: 1, permits: 1 });
    await before.semaphores.release('idle', other.id, 'test');
    await before.semaphores.setLimit('kept', 9);
    await before.close();

    const after = new LocalStore({ journal: new SqliteJournal(path) });
    try {
      expect(await after.semaphores.describe('s')).toEqual({
        key: 's',
        limit: 4,
        used: 3,
        waiters: 0,
        holders: [
          {
            leaseId: lease.id,
            app: 'test',
            owner: 'keeper',
            permits: 3,
            fencingToken: held.acquired ? held.fencingToken : -1,
            acquiredAt: expect.any(Number) as number,
          },
        ],
      });
      expect(await after.semaphores.describe('idle')).toBeUndefined();
      expect((await after.semaphores.describe('kept'))?.limit).toBe(9);
      // The restored grant still counts: only one permit is left.
      const refused = await after.semaphores.acquire({
        app: 'test',
        key: 's',
        leaseId: other.id,
        permits: 2,
      });
      expect(refused).toEqual({ acquired: false, available: 1, waiters: 0 });
      // Its lease's end frees the permits; the pool, idle and made by an acquire, goes with them.
      await after.leases.revoke(lease.id, 'test');
      expect(await after.semaphores.describe('s')).toBeUndefined();
    } finally {
      await after.close();
    }
  });
});
