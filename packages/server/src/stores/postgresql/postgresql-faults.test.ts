import type { AcquireResult } from '@leasehold/core';
import { LeaseholdError } from '@leasehold/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend, freePort } from '../../../test/support/backends.js';
import { PostgresServer } from '../../../test/support/postgres-harness.js';
import { createPostgresqlStore } from './index.js';
import type { PostgresqlStore } from './postgresql-store.js';

const APP = 'test';

function tokenOf(result: AcquireResult): number {
  if (!result.acquired) throw new Error('expected the lock to be acquired');
  return result.fencingToken;
}

async function storeError(promise: Promise<unknown>): Promise<LeaseholdError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LeaseholdError);
  expect((error as LeaseholdError).code).toBe('STORE_ERROR');
  return error as LeaseholdError;
}

describeWithBackend('postgres', 'lock.postgresql when Postgres or its LISTEN connection fails', (bindir) => {
  let server: PostgresServer;
  const opened: PostgresqlStore[] = [];
  const open = async (schema: string, extra: [string, string][] = []) => {
    const metadata = new Map([['connectionstring', server.url], ['schema', schema], ...extra]);
    const store = await createPostgresqlStore('lockstore', metadata);
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await PostgresServer.start(bindir, { fsync: true });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await server?.destroy();
  });

  it('opens while nothing answers, and fails each operation with STORE_ERROR naming the host', async () => {
    const port = await freePort();
    const metadata = new Map([
      ['connectionstring', `postgres://leasehold@127.0.0.1:${port}/postgres`],
      ['timeoutms', '2000'],
    ]);
    const store = await createPostgresqlStore('lockstore', metadata);
    opened.push(store);
    const error = await storeError(store.leases.grant({ app: APP, ttlMs: 10_000 }));
    expect(error.message).toContain(`postgresql 127.0.0.1:${port}`);
    await storeError(store.ping());
  });

  it('a waiter is granted though its LISTEN connection was terminated when the grant was sent', async () => {
    const schema = server.uniqueSchema('listen');
    const [a, b] = [await open(schema), await open(schema)];
    const key = 'relisten';
    const holder = await a.leases.grant({ app: APP, ttlMs: 60_000 });
    tokenOf(await a.locks.acquire({ app: APP, key, leaseId: holder.id }));
    const patient = await b.leases.grant({ app: APP, ttlMs: 60_000 });
    const waiting = b.locks.acquire({ app: APP, key, leaseId: patient.id, waitMs: 20_000 });
    while ((await a.locks.describe(key)).waiters === 0) await new Promise((r) => setTimeout(r, 10));
    // The listeners are terminated and cannot come back (the database refuses new sessions), so
    // the grant's NOTIFY reaches no one; the open pool connections still serve the release.
    await server.query('ALTER DATABASE postgres WITH ALLOW_CONNECTIONS false', 'template1');
    await server.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'leasehold listen'",
      'template1',
    );
    expect(await a.locks.release(key, holder.id, APP)).toBe('released');
    let heard = false;
    void waiting.then(() => (heard = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(heard, 'the grant was heard without a listener').toBe(false);
    await server.query('ALTER DATABASE postgres WITH ALLOW_CONNECTIONS true', 'template1');
    const token = tokenOf(await waiting); // after the re-connect, the re-scan finds the grant
    expect(await b.locks.check(key, token)).toBe(true);
  }, 30_000);

  it('kill -9 of Postgres: STORE_ERROR while it is down, then the same grants, none doubled', async () => {
    const store = await open(server.uniqueSchema('crash'), [['timeoutms', '2000']]);
    const lease = await store.leases.grant({ app: APP, ttlMs: 60_000 });
    const token = tokenOf(await store.locks.acquire({ app: APP, key: 'k', leaseId: lease.id }));
    await server.stop('SIGKILL');
    await storeError(store.locks.describe('k'));
    const other = store.leases.grant({ app: APP, ttlMs: 60_000 });
    await storeError(other);
    await server.restart();
    let info = await store.locks.describe('k').catch(() => undefined);
    for (let i = 0; info === undefined && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await store.locks.describe('k').catch(() => undefined);
    }
    expect(info).toMatchObject({ held: true, leaseId: lease.id, fencingToken: token });
    const rival = await store.leases.grant({ app: APP, ttlMs: 60_000 });
    expect((await store.locks.acquire({ app: APP, key: 'k', leaseId: rival.id })).acquired).toBe(false);
  }, 60_000);
});
