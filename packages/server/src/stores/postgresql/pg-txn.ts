import type { PgTx } from './pg-connection.js';
import type { PgTables } from './schema.js';

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
        FROM unnest(${this.sql.array(list)}::text[]) AS k ORDER BY h) AS ordered`;
  }

  /** Records a change; a grant's token is its revision, known at `finish`. */
  change(change: PgChange): void {
    this.changes.push(change);
  }

  /** Queues a wake-up line for server `serverId`'s listener. */
  notify(serverId: string, line: string): void {
    this.notices.push({ channel: channelOf(this.t.schema, serverId), line });
  }

  /** Draws the revisions, stamps the grants' tokens and queues the NOTIFYs; the tokens by key. */
  async finish(): Promise<Map<string, number>> {
    const tokens = new Map<string, number>();
    const n = this.changes.length;
    if (n > 0) {
      const [row] = await this.sql<{ revision: number }[]>`
        UPDATE ${this.t.meta} SET revision = revision + ${n} RETURNING revision`;
      const first = (row?.revision ?? n) - n + 1;
      this.changes.forEach((c, i) => {
        if (c.type !== 'lock.acquired') return;
        tokens.set(c.key, first + i);
        if (c.waiter !== undefined) this.notify(c.waiter.server, `g ${c.waiter.id} ${first + i} ${c.key}`);
      });
    }
    if (tokens.size > 0) await this.stamp(tokens);
    if (this.notices.length > 0) {
      const channels = this.sql.array(this.notices.map((n) => n.channel));
      const lines = this.sql.array(this.notices.map((n) => n.line));
      await this.sql`SELECT pg_notify(c, l) FROM unnest(${channels}::text[], ${lines}::text[]) AS m(c, l)`;
    }
    return tokens;
  }

  private async stamp(tokens: Map<string, number>): Promise<void> {
    const keys = [...tokens.keys()];
    const values = [...tokens.values()].map(String);
    await this.sql`
      UPDATE ${this.t.locks} AS l SET token = v.token::bigint
      FROM unnest(${this.sql.array(keys)}::text[], ${this.sql.array(values)}::text[]) AS v(key, token)
      WHERE l.key = v.key`;
  }
}
