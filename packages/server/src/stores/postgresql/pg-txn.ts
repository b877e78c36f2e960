import type { PgTx } from './pg-connection.js';
import type { PgTables } from './schema.js';
import { textArray } from './text-array.js';

/** One change a transaction makes; each draws one store revision at commit. */
export interface PgChange {
  readonly type: 'lock.acquired' | 'lock.released' | 'lease.expired';
  readonly key: string;
  readonly leaseId: string;
  /** For a hand-off: the waiter that was granted (and its server), told by NOTIFY once the grant commits. */
  readonly waiter?: { readonly id: string; readonly server: string };
}

/** The NOTIFY channel of server `serverId` on `schema`: each server LISTENs on its own one. */
export function channelOf(schema: string, serverId: string): string {
  return `leasehold_${schema}_${serverId}`;
}

/**
 * One operation's transaction: the key locks it holds, the changes it makes and the wake-ups it
 * sends. `finish` ends it the same way every time: draw the revisions last (so revision order is
 * commit order, ADR 0030), stamp each grant's token, queue the NOTIFYs (sent by Postgres at commit,
 * so no waiter hears of a grant that is not durable).
 */
export class PgTxn {
  private readonly changes: PgChange[] = [];
  private readonly notices: { channel: string; line: string }[] = [];

  constructor(
    readonly sql: PgTx,
    readonly t: PgTables,
  ) {}

  /**
   * Takes the transaction-scoped advisory lock of each key, in hash order so two transactions
   * never wait on each other in a cycle. Freed at commit or rollback; pooler-safe.
   */
  async lockKeys(keys: Iterable<string>): Promise<void> {
    const list = [...new Set(keys)];
    if (list.length === 0) return;
    await this.sql`
      SELECT pg_advisory_xact_lock(h) FROM (
        SELECT DISTINCT hashtextextended(${this.t.schema}::text || ':' || k, 0) AS h
        FROM unnest(${textArray(list)}::text[]) AS k ORDER BY h) AS ordered`;
  }

  /** Records a change; a grant's token is its revision, known at `finish`. */
  change(change: PgChange): void {
    this.changes.push(change);
  }

  /** Queues a wake-up line for server `serverId`'s listener. */
  notify(serverId: string, line: string): void {
    this.notices.push({ channel: channelOf(this.t.schema, serverId), line });
  }

  /**
   * Draws the revisions, stamps the grants' tokens and queues the NOTIFYs, in one statement (one
   * round trip at the end of every transaction); returns the tokens by key.
   */
  async finish(): Promise<Map<string, number>> {
    const n = this.changes.length;
    if (n === 0) {
      await this.sendNotices();
      return new Map();
    }
    const grants = this.changes.flatMap((c, i) => (c.type === 'lock.acquired' ? [{ c, i }] : []));
    const text = textArray;
    const { sql, t } = this;
    const [row] = await sql<{ revision: number }[]>`
      WITH r AS (UPDATE ${t.meta} SET revision = revision + ${n}::bigint RETURNING revision),
      g AS (
        SELECT v.key, v.waiter, v.channel, r.revision - ${n}::bigint + 1 + v.i::bigint AS token
        FROM r, unnest(${text(grants.map((g) => g.c.key))}::text[], ${text(grants.map((g) => String(g.i)))}::text[],
          ${text(grants.map((g) => g.c.waiter?.id ?? ''))}::text[],
          ${text(grants.map((g) => (g.c.waiter ? channelOf(t.schema, g.c.waiter.server) : '')))}::text[])
          AS v(key, i, waiter, channel)),
      s AS (UPDATE ${t.locks} AS l SET token = g.token FROM g WHERE l.key = g.key RETURNING l.key),
      m AS (
        SELECT g.channel, 'g ' || g.waiter || ' ' || g.token || ' ' || g.key AS line FROM g WHERE g.waiter <> ''
        UNION ALL
        SELECT * FROM unnest(${text(this.notices.map((x) => x.channel))}::text[],
          ${text(this.notices.map((x) => x.line))}::text[])),
      sent AS (SELECT pg_notify(m.channel, m.line) FROM m)
      SELECT r.revision, (SELECT count(*) FROM s) AS stamped, (SELECT count(*) FROM sent) AS sent FROM r`;
    const first = (row?.revision ?? n) - n + 1;
    return new Map(grants.map(({ c, i }) => [c.key, first + i]));
  }

  private async sendNotices(): Promise<void> {
    if (this.notices.length === 0) return;
    const channels = textArray(this.notices.map((x) => x.channel));
    const lines = textArray(this.notices.map((x) => x.line));
    await this.sql`SELECT pg_notify(c, l) FROM unnest(${channels}::text[], ${lines}::text[]) AS m(c, l)`;
  }
}
