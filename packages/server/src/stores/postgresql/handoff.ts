import type { LeaseApp } from '@leasehold/core';
import type { PgTxn } from './pg-txn.js';
import { textArray } from './text-array.js';

/** A lock row with whether it still counts: its lease alive and its hold deadline not passed. */
export interface LockRow {
  readonly leaseId: string;
  readonly token: number;
  readonly live: boolean;
  readonly owner: string | null;
  readonly app: string | null;
  /** Until the lease ends or the hold deadline passes, whichever is first; -1 when neither is known. */
  readonly remainingMs: number;
}

/** Reads lock `key` (its key lock held by the caller), or undefined when there is no row. */
export async function readLock(txn: PgTxn, key: string): Promise<LockRow | undefined> {
  const { lock } = await readLockState(txn, key);
  return lock;
}

/** Reads lock `key` and whether anyone queues for it, in one statement. */
export async function readLockState(
  txn: PgTxn,
  key: string,
): Promise<{ lock: LockRow | undefined; queued: boolean }> {
  const { sql, t } = txn;
  const [row] = await sql<(Omit<LockRow, 'leaseId'> & { leaseId: string | null; queued: boolean })[]>`
    SELECT k.lease_id AS "leaseId", k.token, l.owner, l.app,
      EXISTS (SELECT 1 FROM ${t.waiters} AS w WHERE w.key = q.key) AS queued,
      coalesce(l.expires_at > clock_timestamp() AND (k.hold_until IS NULL OR k.hold_until > clock_timestamp()),
        false) AS live,
      coalesce(extract(epoch FROM least(l.expires_at, k.hold_until) - clock_timestamp()) * 1000, -1)::float8
        AS "remainingMs"
    FROM (SELECT ${key}::text COLLATE "C" AS key) AS q
    LEFT JOIN ${t.locks} AS k ON k.key = q.key LEFT JOIN ${t.leases} AS l ON l.id = k.lease_id`;
  const queued = row?.queued ?? false;
  if (row?.leaseId == null) return { lock: undefined, queued };
  const { queued: _, ...lock } = row;
  return { lock: { ...lock, leaseId: row.leaseId }, queued };
}

/** Deletes the live grant of `key` to `leaseId` (of `app`, unless admin); false when there is none. */
export async function deleteOwnGrant(
  txn: PgTxn,
  key: string,
  leaseId: string,
  app: LeaseApp,
): Promise<boolean> {
  const { sql, t } = txn;
  const gone = await sql`
    DELETE FROM ${t.locks} AS k USING ${t.leases} AS l
    WHERE k.key = ${key} AND k.lease_id = ${leaseId} AND l.id = k.lease_id
      AND l.expires_at > clock_timestamp() AND (k.hold_until IS NULL OR k.hold_until > clock_timestamp())
      AND (${app ?? null}::text IS NULL OR l.app = ${app ?? null})
    RETURNING 1`;
  return gone.length > 0;
}

/** Deletes lock `key` as held by `leaseId` and records its release; then hands it on. */
export async function releaseAndHandOff(txn: PgTxn, key: string, leaseId: string): Promise<void> {
  await txn.sql`DELETE FROM ${txn.t.locks} WHERE key = ${key}`;
  txn.change({ type: 'lock.released', key, leaseId });
  await handOff(txn, key);
}

interface SeenWaiter {
  readonly waiter: string;
  readonly server: string;
  readonly leaseId: string;
  readonly alive: boolean;
  readonly granted: boolean;
}

const HEADS = 16;

/**
 * Grants free lock `key` to its first waiter whose lease lives and whose wait has not run out,
 * inside the caller's transaction (G5: the releasing step hands off, no herd). Waiters passed over
 * leave the queue: a lapsed lease's waiter hears `l`, a wait past its deadline (its server gone)
 * is dropped. One statement looks at the queue's head, deletes what it passed and writes the
 * grant. Returns whether someone was granted.
 */
export async function handOff(txn: PgTxn, key: string): Promise<boolean> {
  const { sql, t } = txn;
  for (;;) {
    const seen = await sql<SeenWaiter[]>`
      WITH q AS (
        SELECT w.id, w.waiter, w.server, w.lease_id, w.hold_ms, w.deadline > clock_timestamp() AS current,
          coalesce(l.expires_at > clock_timestamp(), false) AS alive
        FROM ${t.waiters} AS w LEFT JOIN ${t.leases} AS l ON l.id = w.lease_id
        WHERE w.key = ${key} ORDER BY w.id LIMIT ${HEADS}),
      pick AS (SELECT * FROM q WHERE alive AND current ORDER BY id LIMIT 1),
      seen AS (SELECT * FROM q WHERE id <= coalesce((SELECT id FROM pick), (SELECT max(id) FROM q))),
      gone AS (DELETE FROM ${t.waiters} WHERE id IN (SELECT id FROM seen) RETURNING id),
      taken AS (
        INSERT INTO ${t.locks} (key, lease_id, token, acquired_at, hold_until, waiter)
        SELECT ${key}, lease_id, 0, clock_timestamp(),
          clock_timestamp() + hold_ms * interval '1 millisecond', waiter FROM pick RETURNING 1)
      SELECT seen.waiter, seen.server, seen.lease_id AS "leaseId", seen.alive,
        coalesce(seen.id = (SELECT id FROM pick), false) AS granted,
        (SELECT count(*) FROM gone) + (SELECT count(*) FROM taken) AS written
      FROM seen ORDER BY seen.id`;
    for (const head of seen) {
      if (!head.alive) txn.notify(head.server, `l ${head.waiter}`);
      if (!head.granted) continue;
      const waiter = { id: head.waiter, server: head.server };
      txn.change({ type: 'lock.acquired', key, leaseId: head.leaseId, waiter });
      return true;
    }
    if (seen.length < HEADS) return false;
  }
}

/** Writes the lock row of a direct grant (token stamped at `finish`) and records the grant. */
export async function insertLock(
  txn: PgTxn,
  key: string,
  leaseId: string,
  holdMs: number | null,
): Promise<void> {
  const { sql, t } = txn;
  await sql`
    INSERT INTO ${t.locks} (key, lease_id, token, acquired_at, hold_until)
    VALUES (${key}, ${leaseId}, 0, clock_timestamp(),
      clock_timestamp() + ${holdMs}::bigint * interval '1 millisecond')`;
  txn.change({ type: 'lock.acquired', key, leaseId });
}

/**
 * Ends leases `ids` (their rows locked by the caller): fails their waiters, releases their locks
 * and hands each to its next waiter, then deletes them, in the order lock-engine's endLease does.
 * `expired` ones are announced as `lease.expired`.
 */
export async function endLeases(txn: PgTxn, ids: readonly string[], expired: boolean): Promise<void> {
  if (ids.length === 0) return;
  const { sql, t } = txn;
  const list = textArray(ids);
  const touched = await sql<{ key: string }[]>`
    SELECT key FROM ${t.locks} WHERE lease_id = ANY(${list}::text[])
    UNION SELECT key FROM ${t.waiters} WHERE lease_id = ANY(${list}::text[])`;
  await txn.lockKeys(touched.map((row) => row.key));
  const waiters = await sql<{ waiter: string; server: string }[]>`
    DELETE FROM ${t.waiters} WHERE lease_id = ANY(${list}::text[]) RETURNING waiter, server`;
  for (const { waiter, server } of waiters) txn.notify(server, `l ${waiter}`);
  if (expired) for (const id of ids) txn.change({ type: 'lease.expired', key: '', leaseId: id });
  const released = await sql<{ key: string; leaseId: string }[]>`
    DELETE FROM ${t.locks} WHERE lease_id = ANY(${list}::text[])
    RETURNING key, lease_id AS "leaseId"`;
  for (const lock of released.sort((a, b) => (a.key < b.key ? -1 : 1))) {
    txn.change({ type: 'lock.released', key: lock.key, leaseId: lock.leaseId });
    await handOff(txn, lock.key);
  }
  await sql`DELETE FROM ${t.leases} WHERE id = ANY(${list}::text[])`;
}
