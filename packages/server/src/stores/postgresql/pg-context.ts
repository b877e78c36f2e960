import type { PgConnection, PgSql } from './pg-connection.js';
import { newLeaseId } from '@leasehold/core';
import { PgTxn, channelOf } from './pg-txn.js';
import type { PgTables } from './schema.js';
import { tablesOf } from './schema.js';

/** What asks the reaper to look again: a lease or hold deadline this far away. */
export interface ReaperWake {
  wakeIn(ms: number): void;
}

/**
 * What every capability of one `lock.postgresql` store shares: the operations pool, the table
 * names, the NOTIFY channel, and the reaper to wake.
 */
export class PgContext {
  readonly sql: PgSql;
  readonly t: PgTables;
  /** This server's id in the waiters it queues, and the one channel it LISTENs on. */
  readonly serverId = newLeaseId().slice(0, 12);
  readonly channel: string;
  reaper: ReaperWake = { wakeIn: () => undefined };

  constructor(readonly conn: PgConnection) {
    this.sql = conn.sql;
    this.t = tablesOf(conn.sql, conn.config.schema);
    this.channel = channelOf(conn.config.schema, this.serverId);
  }

  /** Runs `work` in one transaction that ends with PgTxn.finish (revisions, tokens, NOTIFYs). */
  txn<T>(op: string, work: (txn: PgTxn) => Promise<T>): Promise<T> {
    return this.txnWithTokens(op, work).then(([result]) => result);
  }

  /** As txn, also returning the tokens of the grants it made, by key. */
  txnWithTokens<T>(op: string, work: (txn: PgTxn) => Promise<T>): Promise<[T, Map<string, number>]> {
    return this.conn.tx(op, async (tx) => {
      const txn = new PgTxn(tx, this.t);
      const result = await work(txn);
      return [result, await txn.finish()] as [T, Map<string, number>];
    });
  }
}
