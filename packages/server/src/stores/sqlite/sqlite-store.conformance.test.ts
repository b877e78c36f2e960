import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '@leasehold/core';
import { afterAll, describe } from 'vitest';
import { conformanceTests } from '../../../test/support/conformance-tests.js';
import { SqliteJournal } from './sqlite-journal.js';

describe('lock.sqlite conformance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-sqlite-'));
  // What `lock.sqlite` opens: core's LocalStore journaled to an SQLite file.
  const store = new LocalStore({ journal: new SqliteJournal(join(dir, 'conformance.sqlite')) });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  conformanceTests('lock.sqlite', store, { ttlMs: 300, expirySlackMs: 300 });
});
