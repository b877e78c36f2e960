import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '@leasehold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteJournal } from './sqlite-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-sqlite-rw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lock.sqlite restart, read/write locks', () => {
  it('keeps a write grant as a write: readers stay out after the restart, and a downgrade still works', async () => {
    const path = join(dir, 'rw.sqlite');
    const before = new LocalStore({ journal: new SqliteJournal(path) });
    const writer = await before.leases.grant({ app: 'test', ttlMs: 60_000 });
    const reader = await before.leases.grant({ app: 'test', ttlMs: 60_000 });
    const held = await before.rwlocks.acquire({ app: 'test', key: 'rw', leaseId: writer.id, mode: 'write' });
    await before.close();

    const after = new LocalStore({ journal: new SqliteJournal(path) });
    try {
      const info = await after.rwlocks.describe('rw');
      expect(info?.mode).toBe('write');
      expect(info?.holders.map((h) => [h.leaseId, h.mode])).toEqual([[writer.id, 'write']]);
      expect(await after.rwlocks.check('rw', held.acquired ? held.fencingToken : -1)).toBe(true);
      const refused = await after.rwlocks.acquire({
        app: 'test',
        key: 'rw',
        leaseId: reader.id,
        mode: 'read',
      });
      expect(refused).toEqual({ acquired: false, mode: 'write', waiters: 0 });
      const down = await after.rwlocks.acquire({ app: 'test', key: 'rw', leaseId: writer.id, mode: 'read' });
      expect(down).toMatchObject({ acquired: true, mode: 'read' });
      const joined = await after.rwlocks.acquire({
        app: 'test',
        key: 'rw',
        leaseId: reader.id,
        mode: 'read',
      });
      expect(joined).toMatchObject({ acquired: true, mode: 'read' });
    } finally {
      await after.close();
    }
  });
});
