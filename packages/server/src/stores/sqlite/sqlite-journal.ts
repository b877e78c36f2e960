import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { Change, IdempotencyRow, Journal, KvRow, LeaseRow, LockRow, Snapshot } from '@leasehold/core';
import { POOL_SCHEMA, loadPools, poolStatements } from './sqlite-pools.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, ttl_ms INTEGER NOT NULL, owner TEXT, implicit INTEGER NOT NULL,
  app TEXT);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, lease_id TEXT NOT NULL, token INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL, max_hold_ms INTEGER);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL,
  create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL, lease_id TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, result TEXT NOT NULL);
`;

interface LeaseRecord {
  id: string;
  ttl_ms: number;
  owner: string | null;
  implicit: number;
  app: string | null;
}
interface LockRecord {
  key: string;
  lease_id: string;
  token: number;
  acquired_at: number;
  max_hold_ms: number | null;
}
interface KvRecord {
  key: string;
  value: string;
  version: number;
  create_revision: number;
  mod_revision: number;
  lease_id: string | null;
}

/**
 * The embedded store's journal: SQLite in WAL mode with synchronous=FULL, so a commit is on disk
 * (fsync) before its promise settles. One transaction per group commit. `load` stays synchronous:
 * it runs once, when the store is built.
 */
export class SqliteJournal implements Journal {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly pools;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.db.exec(POOL_SCHEMA);
    addMissingColumns(this.db);
    const db = this.db;
    this.pools = poolStatements(db);
    this.statements = {
      putLease: db.prepare(
        'INSERT OR REPLACE INTO leases (id, ttl_ms, owner, implicit, app) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteLease: db.prepare('DELETE FROM leases WHERE id = ?'),
      putLock: db.prepare(
        'INSERT OR REPLACE INTO locks (key, lease_id, token, acquired_at, max_hold_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteLock: db.prepare('DELETE FROM locks WHERE key = ?'),
      putKv: db.prepare(
        'INSERT OR REPLACE INTO kv (key, value, version, create_revision, mod_revision, lease_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteKv: db.prepare('DELETE FROM kv WHERE key = ?'),
      putCounter: db.prepare('INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)'),
      putIdempotency: db.prepare(
        'INSERT OR REPLACE INTO idempotency (key, fingerprint, result) VALUES (?, ?, ?)',
      ),
      deleteIdempotency: db.prepare('DELETE FROM idempotency WHERE key = ?'),
      putRevision: db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('revision', ?)"),
    };
  }

  load(): Snapshot | undefined {
    const revision = this.db.prepare("SELECT value FROM meta WHERE name = 'revision'").get() as
      { value: number } | undefined;
    if (!revision) return undefined;
    const leases = (this.db.prepare('SELECT * FROM leases').all() as LeaseRecord[]).map((r): LeaseRow => ({
      id: r.id,
      ttlMs: r.ttl_ms,
      ...(r.owner === null ? {} : { owner: r.owner }),
      ...(r.app === null ? {} : { app: r.app }),
      implicit: r.implicit === 1,
    }));
    const locks = (this.db.prepare('SELECT * FROM locks').all() as LockRecord[]).map((r): LockRow => ({
      key: r.key,
      leaseId: r.lease_id,
      token: r.token,
      acquiredAt: r.acquired_at,
      ...(r.max_hold_ms === null ? {} : { maxHoldMs: r.max_hold_ms }),
    }));
    const kv = (this.db.prepare('SELECT * FROM kv').all() as KvRecord[]).map((r): KvRow => ({
      key: r.key,
      value: r.value,
      version: r.version,
      createRevision: r.create_revision,
      modRevision: r.mod_revision,
      ...(r.lease_id === null ? {} : { leaseId: r.lease_id }),
    }));
    const counters = this.db.prepare('SELECT name, value FROM counters').all() as {
      name: string;
      value: number;
    }[];
    const idempotency = this.db
      .prepare('SELECT key, fingerprint, result FROM idempotency')
      .all() as IdempotencyRow[];
    return { revision: revision.value, leases, locks, kv, counters, idempotency, ...loadPools(this.db) };
  }

  /** The driver is synchronous: the batch is on disk before this returns its settled promise. */
  commit(changes: readonly Change[]): Promise<void> {
    try {
      this.db.transaction(() => {
        let revision: number | undefined;
        for (const change of changes) {
          if (change.kind === 'revision') revision = change.revision;
          else this.apply(change);
        }
        if (revision !== undefined) this.statements.putRevision.run(revision);
      })();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private apply(change: Exclude<Change, { kind: 'revision' }>): void {
    const s = this.statements;
    switch (change.kind) {
      case 'lease.put':
        s.putLease.run(
          change.row.id,
          change.row.ttlMs,
          change.row.owner ?? null,
          change.row.implicit ? 1 : 0,
          change.row.app ?? null,
        );
        return;
      case 'lease.delete':
        s.deleteLease.run(change.id);
        return;
      case 'lock.put': {
        const r = change.row;
        s.putLock.run(r.key, r.leaseId, r.token, r.acquiredAt, r.maxHoldMs ?? null);
        return;
      }
      case 'lock.delete':
        s.deleteLock.run(change.key);
        return;
      case 'kv.put': {
        const r = change.row;
        s.putKv.run(r.key, r.value, r.version, r.createRevision, r.modRevision, r.leaseId ?? null);
        return;
      }
      case 'kv.delete':
        s.deleteKv.run(change.key);
        return;
      case 'counter.put':
        s.putCounter.run(change.name, change.value);
        return;
      case 'idempotency.put':
        s.putIdempotency.run(change.row.key, change.row.fingerprint, change.row.result);
        return;
      case 'idempotency.delete':
        s.deleteIdempotency.run(change.key);
        return;
      default:
        this.pools.apply(change);
    }
  }
}

/** Brings a data folder from an earlier version up to the schema: leases gained their app. */
function addMissingColumns(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(leases)').all() as { name: string }[];
  // Leases written before they had apps get none: only an admin can use them (they expire as usual).
  if (!columns.some((c) => c.name === 'app')) db.exec('ALTER TABLE leases ADD COLUMN app TEXT');
}
