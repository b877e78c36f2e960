import type { AcquireResult } from '@leasehold/core';
import type { WaiterBackend } from '../redis/redis-waiters.js';
import { currentLock } from './acquire-step.js';
import { releaseAndHandOff } from './handoff.js';
import type { PgContext } from './pg-context.js';

/** What this server's waiters ask of Postgres: re-run a hand-off, leave a queue, or ask how a wait stands. */
export class PgWaiterBackend implements WaiterBackend<AcquireResult> {
  constructor(private readonly ctx: PgContext) {}

  /**
   * At the holder's deadline: a lapsed grant is released and handed on. Resolves the live
   * holder's remaining ms, or -2 when the lock is free (nobody to wait for).
   */
  handoff(key: string): Promise<number> {
    return this.ctx.txn('handoff', async (txn) => {
      await txn.lockKeys([key]);
      const lock = await currentLock(txn, key);
      return lock ? Math.max(0, lock.remainingMs) : -2;
    });
  }

  /**
   * Takes waiter `waiterId` out of `key`'s queue; if a hand-off granted it first (a grant it will
   * never answer with), that grant is released and handed on, as if it had never been made.
   */
  cancel(key: string, waiterId: string): Promise<AcquireResult> {
    return this.ctx.txn('cancelWait', async (txn) => {
      await txn.lockKeys([key]);
      const { sql, t } = txn;
      const left = await sql`DELETE FROM ${t.waiters} WHERE waiter = ${waiterId} RETURNING 1`;
      if (left.length > 0) return { acquired: false };
      const [granted] = await sql<{ leaseId: string }[]>`
        SELECT lease_id AS "leaseId" FROM ${t.locks} WHERE key = ${key} AND waiter = ${waiterId}`;
      if (granted) await releaseAndHandOff(txn, key, granted.leaseId);
      return { acquired: false };
    });
  }

  /** A grant message's token field as the acquire's answer. */
  granted(token: string): AcquireResult {
    return { acquired: true, fencingToken: Number(token) };
  }

  /** The grant's token once granted, 0 while queued, -1 when the wait is gone. */
  async status(key: string, waiterId: string): Promise<number> {
    const { sql, t } = this.ctx;
    const [row] = await this.ctx.conn.run(
      'waitStatus',
      () => sql<{ token: number | null; queued: boolean }[]>`
      SELECT (SELECT token FROM ${t.locks} WHERE key = ${key} AND waiter = ${waiterId}) AS token,
        EXISTS (SELECT 1 FROM ${t.waiters} WHERE waiter = ${waiterId}) AS queued`,
    );
    if (row?.token != null) return row.token;
    return row?.queued ? 0 : -1;
  }
}
