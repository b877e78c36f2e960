import type Database from 'libsql';
import type { Change, GrantRow, PoolRow } from '@leasehold/core';

/** The permit pools (semaphores and read/write locks) and their grants, beside the journal's other tables. */
export const POOL_SCHEMA = `
CREATE TABLE IF NOT EXISTS pools (key TEXT PRIMARY KEY, kind TEXT NOT NULL, lim INTEGER NOT NULL,
  explicit INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS grants (key TEXT NOT NULL, lease_id TEXT NOT NULL, permits INTEGER NOT NULL,
  token INTEGER NOT NULL, acquired_at INTEGER NOT NULL, max_hold_ms INTEGER, PRIMARY KEY (key, lease_id));
`;

interface PoolRecord {
  key: string;
  kind: string;
  lim: number;
  explicit: number;
}
interface GrantRecord {
  key: string;
  lease_id: string;
  permits: number;
  token: number;
  acquired_at: number;
  max_hold_ms: number | null;
}

/** The changes this file journals. */
export type PoolChange = Extract<Change, { kind: 'pool.put' | 'pool.delete' | 'grant.put' | 'grant.delete' }>;

/** Prepared statements for pool and grant rows; `apply` writes one change. */
export function poolStatements(db: Database.Database) {
  const putPool = db.prepare('INSERT OR REPLACE INTO pools (key, kind, lim, explicit) VALUES (?, ?, ?, ?)');
  const deletePool = db.prepare('DELETE FROM pools WHERE key = ?');
  const putGrant = db.prepare(
    'INSERT OR REPLACE INTO grants (key, lease_id, permits, token, acquired_at, max_hold_ms) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const deleteGrant = db.prepare('DELETE FROM grants WHERE key = ? AND lease_id = ?');
  return {
    apply(change: PoolChange): void {
      switch (change.kind) {
        case 'pool.put': {
          const r = change.row;
          putPool.run(r.key, r.kind, r.limit, r.explicit ? 1 : 0);
          return;
        }
        case 'pool.delete':
          deletePool.run(change.key);
          return;
        case 'grant.put': {
          const r = change.row;
          putGrant.run(r.key, r.leaseId, r.permits, r.token, r.acquiredAt, r.maxHoldMs ?? null);
          return;
        }
        case 'grant.delete':
          deleteGrant.run(change.key, change.leaseId);
          return;
      }
    },
  };
}

/** Reads every pool and grant back, for the snapshot. */
export function loadPools(db: Database.Database): { pools: PoolRow[]; grants: GrantRow[] } {
  const pools = (db.prepare('SELECT * FROM pools').all() as PoolRecord[]).map((r): PoolRow => ({
    key: r.key,
    // A row written before read/write locks existed is a semaphore's.
    kind: r.kind === 'rwlock' ? 'rwlock' : 'semaphore',
    limit: r.lim,
    explicit: r.explicit === 1,
  }));
  const grants = (db.prepare('SELECT * FROM grants').all() as GrantRecord[]).map((r): GrantRow => ({
    key: r.key,
    leaseId: r.lease_id,
    permits: r.permits,
    token: r.token,
    acquiredAt: r.acquired_at,
    ...(r.max_hold_ms === null ? {} : { maxHoldMs: r.max_hold_ms }),
  }));
  return { pools, grants };
}
