import { newLeaseId } from '@leasehold/core';
import type { GrantOptions, LeaseApp, LeaseDetail, LeaseInfo, LeaseStore } from '@leasehold/core';
import { endLeases } from './handoff.js';
import type { PgContext } from './pg-context.js';
import { textArray } from './text-array.js';

interface LeaseRow {
  readonly id: string;
  readonly ttlMs: number;
  readonly owner: string | null;
  readonly app: string | null;
}

interface DetailRow extends LeaseRow {
  readonly implicit: boolean;
  readonly remainingMs: number;
  readonly locks: string[] | null;
}

/**
 * Leases in the `leases` table, their countdown on the database host's clock. A keep-alive is one
 * UPDATE that draws no revision and sends nothing; ending a lease is one transaction with its locks.
 */
export class PgLeases implements LeaseStore {
  constructor(private readonly ctx: PgContext) {}

  async grant(options: GrantOptions): Promise<LeaseInfo> {
    const { sql, t } = this.ctx;
    const id = newLeaseId();
    await this.ctx.conn.run(
      'grantLease',
      () => sql`
      INSERT INTO ${t.leases} (id, app, owner, ttl_ms, implicit, expires_at)
      VALUES (${id}, ${options.app}, ${options.owner ?? null}, ${options.ttlMs}, ${options.implicit ?? false},
        clock_timestamp() + ${options.ttlMs}::bigint * interval '1 millisecond')`,
    );
    this.ctx.reaper.wakeIn(options.ttlMs);
    return info({ id, ttlMs: options.ttlMs, owner: options.owner ?? null, app: options.app });
  }

  async keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined> {
    const { sql, t } = this.ctx;
    const [row] = await this.ctx.conn.run(
      'keepAlive',
      () => sql<LeaseRow[]>`
      UPDATE ${t.leases} SET expires_at = clock_timestamp() + ttl_ms * interval '1 millisecond'
      WHERE id = ${leaseId} AND expires_at > clock_timestamp() AND (${app ?? null}::text IS NULL OR app = ${app ?? null})
      RETURNING id, ttl_ms AS "ttlMs", owner, app`,
    );
    return row && info(row);
  }

  async keepAliveMany(leaseIds: readonly string[], app: LeaseApp): Promise<string[]> {
    const { sql, t } = this.ctx;
    const renewed = await this.ctx.conn.run(
      'keepAlive',
      () => sql<{ id: string }[]>`
      UPDATE ${t.leases} SET expires_at = clock_timestamp() + ttl_ms * interval '1 millisecond'
      WHERE id = ANY(${textArray([...leaseIds])}::text[]) AND expires_at > clock_timestamp()
        AND (${app ?? null}::text IS NULL OR app = ${app ?? null})
      RETURNING id`,
    );
    const alive = new Set(renewed.map((row) => row.id));
    return leaseIds.filter((id) => !alive.has(id));
  }

  /** Ends the lease whole; an expired one the reaper has not reached yet ends too, but answers false. */
  async revoke(leaseId: string, app: LeaseApp): Promise<boolean> {
    return this.ctx.txn('revoke', async (txn) => {
      const [row] = await txn.sql<{ alive: boolean }[]>`
        SELECT expires_at > clock_timestamp() AS alive FROM ${txn.t.leases}
        WHERE id = ${leaseId} AND (${app ?? null}::text IS NULL OR app = ${app ?? null}) FOR UPDATE`;
      if (!row) return false;
      await endLeases(txn, [leaseId], !row.alive);
      return row.alive;
    });
  }

  async get(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined> {
    const [row] = await this.details(sqlFilter(this.ctx, leaseId, app), 1);
    return row;
  }

  async list(limit: number): Promise<LeaseDetail[]> {
    return this.details(this.ctx.sql`TRUE`, limit);
  }

  private async details(filter: ReturnType<PgContext['sql']>, limit: number): Promise<LeaseDetail[]> {
    const { sql, t } = this.ctx;
    const rows = await this.ctx.conn.run(
      'getLease',
      () => sql<DetailRow[]>`
      SELECT l.id, l.ttl_ms AS "ttlMs", l.owner, l.app, l.implicit,
        (extract(epoch FROM l.expires_at - clock_timestamp()) * 1000)::float8 AS "remainingMs",
        (SELECT array_agg(k.key ORDER BY k.key) FROM ${t.locks} AS k
          WHERE k.lease_id = l.id AND (k.hold_until IS NULL OR k.hold_until > clock_timestamp())) AS locks
      FROM ${t.leases} AS l
      WHERE l.expires_at > clock_timestamp() AND ${filter}
      ORDER BY l.id LIMIT ${limit}`,
    );
    return rows.map((row) => ({
      ...info(row),
      remainingMs: Math.max(0, Math.round(row.remainingMs)),
      ...(row.implicit ? { implicit: true } : {}),
      locks: row.locks ?? [],
      keys: [],
    }));
  }
}

function sqlFilter(ctx: PgContext, leaseId: string, app: LeaseApp): ReturnType<PgContext['sql']> {
  return ctx.sql`l.id = ${leaseId} AND (${app ?? null}::text IS NULL OR l.app = ${app ?? null})`;
}

function info(row: LeaseRow): LeaseInfo {
  return {
    id: row.id,
    ttlMs: row.ttlMs,
    ...(row.owner === null ? {} : { owner: row.owner }),
    ...(row.app === null ? {} : { app: row.app }),
  };
}
