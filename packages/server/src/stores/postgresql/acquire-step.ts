import type { AcquireOptions, LeaseApp, LockHolder } from '@leasehold/core';
import { leaseNotFound } from '../redis/replies.js';
import { handOff, insertLock, readLock, readLockState, releaseAndHandOff } from './handoff.js';
import type { LockRow } from './handoff.js';
import type { PgTxn } from './pg-txn.js';

/** What one acquire transaction did; tokens drawn at commit are filled in by the caller. */
export type AcquireStep =
  | { readonly kind: 'granted' }
  | { readonly kind: 'held'; readonly token: number }
  | { readonly kind: 'refused'; readonly holder: LockHolder }
  | { readonly kind: 'queued'; readonly remainingMs: number };

// A queued wait outlives its server's own deadline by this much before a hand-off skips it: the
// server gives up first and deletes it; the database deadline only retires waits of a dead server.
const WAIT_GRACE_MS = 5_000;

/**
 * Reads the lease (locking its row against revoke, before any key: the order every transaction
 * keeps), then takes the key's advisory lock. LEASE_NOT_FOUND for an unknown, lapsed or other app's lease.
 */
export async function lockLease(txn: PgTxn, leaseId: string, app: LeaseApp): Promise<void> {
  const [row] = await txn.sql<{ alive: boolean }[]>`
    SELECT expires_at > clock_timestamp() AS alive FROM ${txn.t.leases}
    WHERE id = ${leaseId} AND (${app ?? null}::text IS NULL OR app = ${app ?? null}) FOR KEY SHARE`;
  if (!row?.alive) throw leaseNotFound(leaseId);
}

/**
 * One acquire's transaction: a lapsed grant is released and handed on first, a free lock goes to
 * its queue's head before anyone new (tryAcquire never jumps the queue), the holding lease gets its
 * own grant back, and a wait joins the queue when `waiter` is given.
 */
export async function acquireStep(
  txn: PgTxn,
  options: AcquireOptions,
  waiter: { readonly id: string; readonly server: string } | undefined,
): Promise<AcquireStep> {
  const { key, leaseId } = options;
  await lockLease(txn, leaseId, options.app);
  await txn.lockKeys([key]);
  const lock = await currentLock(txn, key);
  if (lock?.leaseId === leaseId) return { kind: 'held', token: lock.token };
  if (!lock) {
    await insertLock(txn, key, leaseId, options.maxHoldMs ?? null);
    return { kind: 'granted' };
  }
  if (waiter === undefined) return { kind: 'refused', holder: holderOf(lock) };
  await txn.sql`
    INSERT INTO ${txn.t.waiters} (waiter, key, lease_id, server, since, deadline, hold_ms)
    VALUES (${waiter.id}, ${key}, ${leaseId}, ${waiter.server}, clock_timestamp(),
      clock_timestamp() + ${(options.waitMs ?? 0) + WAIT_GRACE_MS}::bigint * interval '1 millisecond',
      ${options.maxHoldMs ?? null})`;
  return { kind: 'queued', remainingMs: lock.remainingMs };
}

/**
 * The live grant of `key` after settling what is stale: a lapsed grant is released and handed on,
 * and a free lock with a queue goes to its head. Undefined when the lock is free and nobody waits.
 */
export async function currentLock(txn: PgTxn, key: string): Promise<LockRow | undefined> {
  const { lock, queued } = await readLockState(txn, key);
  if (lock?.live) return lock;
  if (lock) await releaseAndHandOff(txn, key, lock.leaseId);
  else if (!queued || !(await handOff(txn, key))) return undefined;
  return readLock(txn, key);
}

function holderOf(lock: LockRow): LockHolder {
  return {
    leaseId: lock.leaseId,
    fencingToken: lock.token,
    ...(lock.owner === null ? {} : { owner: lock.owner }),
    ...(lock.app === null ? {} : { app: lock.app }),
  };
}
