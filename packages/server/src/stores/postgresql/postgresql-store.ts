import { LeaseholdError } from '@leasehold/core';
import type { Store, StoreStats, Usage, UsageQuery } from '@leasehold/core';
import type { PgConfig } from './config.js';
import { PgLeases } from './leases.js';
import { PgListener } from './listener.js';
import { PgLocks } from './locks.js';
import { PgConnection } from './pg-connection.js';
import { PgContext } from './pg-context.js';
import { PgReaper } from './reaper.js';
import { LAYOUT, ensureSchema } from './schema.js';
import { PgWatch } from './watch.js';

const NOT_YET = 'not yet: lock.postgresql has leases, locks and Dapr so far (issue 16)';

/**
 * The `lock.postgresql` store: leases and locks in tables of one schema, each operation one
 * transaction, so several Leasehold servers may share one Postgres (ADR 0030). It keeps no Dapr
 * format of its own: core maps Dapr's lock API onto its leases and locks.
 */
export class PostgresqlStore implements Store {
  readonly leases: PgLeases;
  readonly locks: PgLocks;
  readonly watch = new PgWatch();
  readonly unsupported = {
    kv: NOT_YET,
    counters: NOT_YET,
    semaphores: NOT_YET,
    rwlocks: NOT_YET,
    multiLock: NOT_YET,
  };
  private readonly ctx: PgContext;
  private readonly reaper: PgReaper;
  private readonly listener: PgListener;

  private constructor(private readonly conn: PgConnection) {
    this.ctx = new PgContext(conn);
    this.reaper = new PgReaper(this.ctx);
    this.ctx.reaper = this.reaper;
    this.leases = new PgLeases(this.ctx);
    this.locks = new PgLocks(this.ctx);
    const waiters = this.locks.waiters;
    this.listener = new PgListener(
      conn.config,
      this.ctx.channel,
      (line) => waiters.onMessage(line),
      () => void waiters.recheck(),
    );
  }

  /**
   * Opens the store: creates its schema when absent and starts listening. A database that cannot
   * be reached yet is not fatal: the schema is retried before the first operation, LISTEN in the
   * background, so a server can start before its Postgres (as with Redis and etcd).
   */
  static async open(config: PgConfig): Promise<PostgresqlStore> {
    const conn = new PgConnection(config);
    conn.prepareWith(async () => {
      const layout = await ensureSchema(conn.sql, config.schema);
      if (layout !== LAYOUT) {
        throw new LeaseholdError(
          'STORE_ERROR',
          `schema ${config.schema} has layout ${layout}; this server reads layout ${LAYOUT}`,
        );
      }
    });
    const store = new PostgresqlStore(conn);
    await conn.prepare().catch(() => undefined);
    await store.listener.start();
    store.reaper.wakeIn(0);
    return store;
  }

  /** Leases and locks by app (locks whose lease lives); this store has no keys or counters yet. */
  async usage(query: UsageQuery): Promise<Usage> {
    const { sql, t } = this.ctx;
    const [row] = await this.conn.run(
      'usage',
      () => sql<{ leases: number; locks: number }[]>`
      SELECT (SELECT count(*) FROM ${t.leases} WHERE app = ${query.app}
          AND expires_at > clock_timestamp())::int AS leases,
        (SELECT count(*) FROM ${t.locks} AS k JOIN ${t.leases} AS l ON l.id = k.lease_id
          WHERE l.app = ${query.app} AND l.expires_at > clock_timestamp())::int AS locks`,
    );
    return { leases: row?.leases ?? 0, locks: row?.locks ?? 0, keys: 0, keyBytes: 0, counters: 0 };
  }

  /** Three counts in one statement. */
  async stats(): Promise<StoreStats> {
    const { sql, t } = this.ctx;
    const [row] = await this.conn.run(
      'stats',
      () => sql<StoreStats[]>`
      SELECT (SELECT count(*) FROM ${t.leases})::int AS leases, (SELECT count(*) FROM ${t.locks})::int AS locks,
        (SELECT count(*) FROM ${t.waiters})::int AS waiters`,
    );
    return row ?? { leases: 0, locks: 0, waiters: 0 };
  }

  async ping(): Promise<boolean> {
    if (this.conn.closed) return false;
    await this.conn.run('ping', () => this.ctx.sql`SELECT 1`);
    return true;
  }

  /** Waiters leave their queues first, then the reaper, the listener and the pool stop. */
  async close(): Promise<void> {
    if (this.conn.closed) return;
    await this.locks.close();
    this.reaper.stop();
    await this.listener.stop();
    await this.conn.close();
  }
}
