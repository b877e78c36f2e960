import type { PgTxn } from './pg-txn.js';

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
  const { sql, t } = txn;
  const [row] = await sql<LockRow[]>`
    SELECT k.lease_id AS "leaseId", k.token, l.owner, l.app,
      coalesce(l.expires_at > clock_timestamp() AND (k.hold_until IS NULL OR k.hold_until > clock_timestamp()),
        false) AS live,
      coalesce(extract(epoch FROM least(l.expires_at, k.hold_until) - clock_timestamp()) * 1000, -1)::float8
        AS "remainingMs"
    FROM ${t.locks} AS k LEFT JOIN ${t.leases} AS l ON l.id = k.lease_id
    WHERE k.key = ${key}`;
  return row;
}

/** Deletes lock `key` as held by `leaseId` and records its release; then hands it on. */
export async function releaseAndHandOff(txn: PgTxn, key: string, leaseId: string): Promise<void> {
  await txn.sql`DELETE FROM ${txn.t.locks} WHERE key = ${key}`;
  txn.change({ type: 'lock.released', key, leaseId });
  await handOff(txn, key);
}

interface HeadWaiter {
  readonly waiter: string;
  readonly server: string;
  readonly leaseId: string;
  readonly holdMs: number | null;
  readonly alive: boolean;
  readonly current: boolean;
}

/**
 * Grants free lock `key` to its first waiter whose lease lives and whose wait has not run out,
 * inside the caller's transaction (G5: the releasing step hands off, no herd). Waiters passed over
 * leave the queue: a lapsed lease's waiter hears `l`, a wait past its deadline (its server gone)
 * is dropped. Returns whether someone was granted.
 */
export async function handOff(txn: PgTxn, key: string): Promise<boolean> {
  const { sql, t } = txn;
  for (;;) {
    const heads = await sql<HeadWaiter[]>`
      SELECT w.waiter, w.server, w.lease_id AS "leaseId", w.hold_ms AS "holdMs",
        coalesce(l.expires_at > clock_timestamp(), false) AS alive,
        w.deadline > clock_timestamp() AS current
      FROM ${t.waiters} AS w LEFT JOIN ${t.leases} AS l ON l.id = w.lease_id
      WHERE w.key = ${key} ORDER BY w.id LIMIT 16`;
    if (heads.length === 0) return false;
    for (const head of heads) {
      await sql`DELETE FROM ${t.waiters} WHERE waiter = ${head.waiter}`;
      if (!head.alive) txn.notify(head.server, `l ${head.waiter}`);
      if (!head.alive || !head.current) continue;
      await insertLock(txn, key, head.leaseId, head.holdMs, { id: head.waiter, server: head.server });
      return true;
    }
  }
}

/** Writes the lock row of a grant (token stamped at `finish`) and records the grant. */
export async function insertLock(
  txn: PgTxn,
  key: string,
  leaseId: string,
  holdMs: number | null,
  waiter?: { readonly id: string; readonly server: string },
): Promise<void> {
  const { sql, t } = txn;
  await sql`
    INSERT INTO ${t.locks} (key, lease_id, token, acquired_at, hold_until, waiter)
    VALUES (${key}, ${leaseId}, 0, clock_timestamp(),
      CASE WHEN ${holdMs}::bigint IS NULL THEN NULL
        ELSE clock_timestamp() + ${holdMs}::bigint * interval '1 millisecond' END,
      ${waiter?.id ?? null})`;
  txn.change({ type: 'lock.acquired', key, leaseId, ...(waiter === undefined ? {} : { waiter }) });
}

/**
 * Ends leases `ids` (their rows locked by the caller): fails their waiters, releases their locks
 * and hands each to its next waiter, then deletes them, in the order lock-engine's endLease does.
 * `expired` ones are announced as `lease.expired`.
 */
export async function endLeases(txn: PgTxn, ids: readonly string[], expired: boolean): Promise<void> {
  if (ids.length === 0) return;
  const { sql, t } = txn;
  const list = sql.array([...ids]);
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
