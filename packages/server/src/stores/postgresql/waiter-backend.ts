import type { AcquireResult } from '@leasehold/core';
import type { WaiterBackend } from '../redis/redis-waiters.js';
import { lockGrant, lockWaiterStatus } from '../redis/redis-waiters.js';
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
  cancel(waiterId: string, [key = '']: readonly string[]): Promise<AcquireResult> {
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

  /** A grant message's payload (`<token> <key>`, as on Redis) as the acquire's answer. */
  granted(payload: string): { outcome: AcquireResult; keys: string[] } {
    return lockGrant(payload);
  }

  /** The grant once granted, 'queued' while queued, undefined when the wait is gone. */
  async status(
    waiterId: string,
    [key = '']: readonly string[],
  ): Promise<AcquireResult | 'queued' | undefined> {
    const { sql, t } = this.ctx;
    const [row] = await this.ctx.conn.run(
      'waitStatus',
      () => sql<{ token: number | null; queued: boolean }[]>`
      SELECT (SELECT token FROM ${t.locks} WHERE key = ${key} AND waiter = ${waiterId}) AS token,
        EXISTS (SELECT 1 FROM ${t.waiters} WHERE waiter = ${waiterId}) AS queued`,
    );
    if (row?.token != null) return lockWaiterStatus(row.token);
    return lockWaiterStatus(row?.queued ? 0 : -1);
  }
}
