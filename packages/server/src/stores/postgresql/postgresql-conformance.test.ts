import type { Store } from '@leasehold/core';
import { afterAll, beforeAll } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { conformanceTests } from '../../../test/support/conformance-tests.js';
import { PostgresServer } from '../../../test/support/postgres-harness.js';
import { createPostgresqlStore } from './index.js';

// Expiry runs on the database's clock: a lapsed grant stops counting at once (every read checks
// expires_at), and the reaper that hands it on wakes at the deadline it knows.
const TTL_MS = 1_000;
const EXPIRY_SLACK_MS = 1_000;

describeWithBackend('postgres', 'lock.postgresql conformance on a real Postgres', (bindir) => {
  let server: PostgresServer;
  let store: Store;

  beforeAll(async () => {
    server = await PostgresServer.start(bindir);
    const metadata = new Map([
      ['connectionstring', server.url],
      ['schema', server.uniqueSchema('conformance')],
    ]);
    store = await createPostgresqlStore('lockstore', metadata);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await server?.destroy();
  });

  conformanceTests(
    'lock.postgresql',
    () => store,
    { ttlMs: TTL_MS, expirySlackMs: EXPIRY_SLACK_MS },
    { lacks: ['kv', 'counters', 'semaphores', 'rwlocks', 'multiLock'] },
  );
});
