import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '@leasehold/core';
import { conformanceCases } from '@leasehold/core/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteJournal } from './sqlite-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lock.sqlite conformance', () => {
  const store = new LocalStore({ journal: new SqliteJournal(join(dir, 'conformance.sqlite')) });
  afterAll(() => store.close());
  conformanceCases.forEach((c, i) => {
    it(c.name, () => c.run({ store, ttlMs: 300, expirySlackMs: 300, prefix: `case${i}/` }));
  });
});

describe('lock.sqlite restart', () => {
  it('restores leases, locks, keys, counters and the revision from disk', async () => {
    const path = join(dir, 'restart.sqlite');
    const before = new LocalStore({ journal: new SqliteJournal(path) });
    const lease = await before.grantLease({ app: 'test', ttlMs: 60_000, owner: 'keeper' });
    const held = await before.acquire({ app: 'test', key: 'held', leaseId: lease.id });
    const gone = await before.acquire({ app: 'test', key: 'gone', leaseId: lease.id });
    await before.release('gone', lease.id, 'test');
    await before.put({ app: 'test', key: 'bound', value: 'v', leaseId: lease.id });
    await before.counterAdd('c', 7);
    const revision = before.stats().revision;
    await before.close();

    const after = new LocalStore({ journal: new SqliteJournal(path) });
    try {
      const info = await after.describeLock('held');
      expect(info).toMatchObject({ held: true, leaseId: lease.id, owner: 'keeper' });
      expect(info.fencingToken).toBe(held.acquired ? held.fencingToken : -1);
      expect((await after.describeLock('gone')).held).toBe(false);
      expect((await after.get('bound'))?.leaseId).toBe(lease.id);
      expect(await after.counterGet('c')).toBe(7);
      expect(after.stats().revision).toBe(revision);
      await after.put({ app: 'test', key: 'a-new', value: 'v' });
      expect((await after.listKeys('', undefined, 10)).map((e) => e.key)).toEqual(['a-new', 'bound']);
      // The countdown restarted at the full TTL.
      expect((await after.getLease(lease.id, 'test'))?.remainingMs).toBeGreaterThan(59_000);
      const other = await after.grantLease({ app: 'test', ttlMs: 60_000 });
      const next = await after.acquire({ app: 'test', key: 'gone', leaseId: other.id });
      expect(next.acquired && gone.acquired && next.fencingToken > gone.fencingToken).toBe(true);
    } finally {
      await after.close();
    }
  });
});
