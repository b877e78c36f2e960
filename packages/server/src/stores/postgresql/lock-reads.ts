import type { LockInfo, QueuedWaiter } from '@leasehold/core';
import type { PgContext } from './pg-context.js';

interface InfoRow {
  readonly key: string;
  readonly leaseId: string | null;
  readonly token: number | null;
  readonly owner: string | null;
  readonly app: string | null;
  readonly acquiredAt: number | null;
  readonly remainingMs: number | null;
  readonly waiters: number;
}

/**
 * The reads of the lock table. A grant counts only while its lease lives and its hold deadline has
 * not passed, on the database's clock, so a read never shows a lapsed grant the reaper has not
 * reached yet (a fencing check must fail the moment the lease ends).
 */
export class PgLockReads {
  constructor(private readonly ctx: PgContext) {}

  async describe(key: string): Promise<LockInfo> {
    const { sql } = this.ctx;
    const [row] = await this.ctx.conn.run(
      'describe',
      () => sql<InfoRow[]>`
      SELECT ${this.infoColumns('q.key')}
      FROM (SELECT ${key}::text COLLATE "C" AS key) AS q
      LEFT JOIN (${this.liveGrants()}) AS g ON g.key = q.key`,
    );
    return row ? infoOf(row) : { key, held: false, waiters: 0 };
  }

  async list(prefix: string, limit: number): Promise<LockInfo[]> {
    const { sql } = this.ctx;
    const rows = await this.ctx.conn.run(
      'listLocks',
      () => sql<InfoRow[]>`
      SELECT ${this.infoColumns('g.key')} FROM (${this.liveGrants()}) AS g
      WHERE g.key >= ${prefix} AND starts_with(g.key, ${prefix})
      ORDER BY g.key LIMIT ${limit}`,
    );
    return rows.map(infoOf);
  }

  async check(key: string, token: number): Promise<boolean> {
    const { sql } = this.ctx;
    const rows = await this.ctx.conn.run(
      'check',
      () => sql`
      SELECT 1 FROM (${this.liveGrants()}) AS g WHERE g.key = ${key} AND g.token = ${token}`,
    );
    return rows.length > 0;
  }

  async queue(key: string): Promise<QueuedWaiter[]> {
    const { sql, t } = this.ctx;
    const rows = await this.ctx.conn.run(
      'queue',
      () => sql<{ leaseId: string; app: string | null; owner: string | null; since: number }[]>`
      SELECT w.lease_id AS "leaseId", l.app, l.owner, (extract(epoch FROM w.since) * 1000)::float8 AS since
      FROM ${t.waiters} AS w LEFT JOIN ${t.leases} AS l ON l.id = w.lease_id
      WHERE w.key = ${key} AND w.deadline > clock_timestamp() ORDER BY w.id`,
    );
    return rows.map((row) => ({
      leaseId: row.leaseId,
      since: Math.round(row.since),
      ...(row.app === null ? {} : { app: row.app }),
      ...(row.owner === null ? {} : { owner: row.owner }),
    }));
  }

  /** An InfoRow's columns, for the lock named by column `key`, over grant `g`. */
  private infoColumns(key: string): ReturnType<PgContext['sql']> {
    const { sql, t } = this.ctx;
    return sql`
      ${sql(key)} AS key, g.lease_id AS "leaseId", g.token, g.owner, g.app, g.acquired_at_ms AS "acquiredAt",
      g.remaining_ms AS "remainingMs",
      (SELECT count(*) FROM ${t.waiters} AS w WHERE w.key = ${sql(key)} AND w.deadline > clock_timestamp())::int
        AS waiters`;
  }

  /** The grants that count now, with their lease's facts. */
  private liveGrants(): ReturnType<PgContext['sql']> {
    const { sql, t } = this.ctx;
    return sql`
      SELECT k.key, k.lease_id, k.token, l.owner, l.app,
        (extract(epoch FROM k.acquired_at) * 1000)::float8 AS acquired_at_ms,
        (extract(epoch FROM least(l.expires_at, k.hold_until) - clock_timestamp()) * 1000)::float8 AS remaining_ms
      FROM ${t.locks} AS k JOIN ${t.leases} AS l ON l.id = k.lease_id
      WHERE l.expires_at > clock_timestamp() AND (k.hold_until IS NULL OR k.hold_until > clock_timestamp())`;
  }
}

function infoOf(row: InfoRow): LockInfo {
  if (row.leaseId === null) return { key: row.key, held: false, waiters: row.waiters };
  return {
    key: row.key,
    held: true,
    leaseId: row.leaseId,
    ...(row.app === null ? {} : { app: row.app }),
    ...(row.owner === null ? {} : { owner: row.owner }),
    ...(row.token === null ? {} : { fencingToken: row.token }),
    ...(row.acquiredAt === null ? {} : { acquiredAt: Math.round(row.acquiredAt) }),
    ...(row.remainingMs === null ? {} : { expiresInMs: Math.max(0, Math.round(row.remainingMs)) }),
    waiters: row.waiters,
  };
}
