import { atDeadline } from '@leasehold/core';
import { endLeases, readLock, releaseAndHandOff } from './handoff.js';
import type { PgContext, ReaperWake } from './pg-context.js';

/** Leases or holds ended per transaction. */
export const REAP_BATCH = 256;
// Another server's short lease is seen here at the latest this long after it is granted.
const MAX_IDLE_MS = 1_000;
const RETRY_MS = 500;

/**
 * This server's expiry reaper. Every server runs one: each transaction claims up to 256 lapsed
 * leases with FOR UPDATE SKIP LOCKED, so servers reap in parallel and never end (or announce) one
 * lease twice; it ends them whole and hands their locks on in that transaction. Then lapsed hold
 * deadlines, each key taken only if no one holds its lock. It sleeps until the earliest deadline
 * it knows (at most a second, so others' grants are seen too) on an unref()ed timer.
 */
export class PgReaper implements ReaperWake {
  private timer: { cancel: () => void; at: number } | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(private readonly ctx: PgContext) {}

  /** Looks again `ms` from now, unless it already means to look sooner. */
  wakeIn(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, ms) + 1;
    if (this.timer && this.timer.at <= at) return;
    this.timer?.cancel();
    this.timer = { at, cancel: atDeadline(at, () => void this.run()) };
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let next = MAX_IDLE_MS;
    try {
      while (await this.reapLeases());
      while (await this.reapHolds());
      next = await this.nextDeadline();
    } catch {
      next = RETRY_MS; // the database is away: look again soon; reads already ignore lapsed grants
    } finally {
      this.running = false;
    }
    this.wakeIn(this.again ? 0 : Math.min(next, MAX_IDLE_MS));
    this.again = false;
  }

  /** Ends one batch of lapsed leases; true when the batch was full (more may wait). */
  private reapLeases(): Promise<boolean> {
    return this.ctx.txn('reap', async (txn) => {
      const rows = await txn.sql<{ id: string }[]>`
        SELECT id FROM ${txn.t.leases} WHERE expires_at <= clock_timestamp()
        ORDER BY expires_at LIMIT ${REAP_BATCH} FOR UPDATE SKIP LOCKED`;
      await endLeases(
        txn,
        rows.map((row) => row.id),
        true,
      );
      return rows.length === REAP_BATCH;
    });
  }

  /** Releases one batch of locks past their hold deadline, skipping keys another transaction holds. */
  private reapHolds(): Promise<boolean> {
    return this.ctx.txn('reapHolds', async (txn) => {
      const rows = await txn.sql<{ key: string; free: boolean }[]>`
        SELECT key, pg_try_advisory_xact_lock(hashtextextended(${txn.t.schema}::text || ':' || key, 0)) AS free
        FROM ${txn.t.locks} WHERE hold_until <= clock_timestamp()
        ORDER BY hold_until LIMIT ${REAP_BATCH}`;
      for (const { key, free } of rows) {
        const lock = free ? await readLock(txn, key) : undefined;
        if (lock && !lock.live) await releaseAndHandOff(txn, key, lock.leaseId);
      }
      return rows.length === REAP_BATCH && rows.some((row) => row.free);
    });
  }

  /** Milliseconds until the earliest lease end or hold deadline in the store. */
  private async nextDeadline(): Promise<number> {
    const { sql, t } = this.ctx;
    const [row] = await this.ctx.conn.run(
      'reap',
      () => sql<{ ms: number | null }[]>`
      SELECT (extract(epoch FROM least(
        (SELECT min(expires_at) FROM ${t.leases}),
        (SELECT min(hold_until) FROM ${t.locks})) - clock_timestamp()) * 1000)::float8 AS ms`,
    );
    return row?.ms ?? MAX_IDLE_MS;
  }
}
