import type postgres from 'postgres';
import type { PgSql, PgTx } from './pg-connection.js';

type Identifier = postgres.Helper<string, []>;

/** The store's tables, as schema-qualified identifiers for the driver's templates. */
export interface PgTables {
  readonly schema: string;
  readonly meta: Identifier;
  readonly leases: Identifier;
  readonly locks: Identifier;
  readonly waiters: Identifier;
}

/** The identifiers of `schema`'s tables (validated to [a-z0-9_], so no quoting surprises). */
export function tablesOf(sql: PgSql, schema: string): PgTables {
  const table = (name: string): Identifier => sql(`${schema}.${name}`);
  return {
    schema,
    meta: table('meta'),
    leases: table('leases'),
    locks: table('locks'),
    waiters: table('waiters'),
  };
}

/** Bumped when the layout changes incompatibly; a store refuses a schema of another layout. */
export const LAYOUT = 1;

// Keys sort by bytes (COLLATE "C"), as every other store lists them. No foreign keys: an insert
// would lock the lease row after the key's advisory lock, the reverse of revoke's order.
const DDL = (s: string): string[] => [
  `CREATE SCHEMA IF NOT EXISTS "${s}"`,
  `CREATE TABLE IF NOT EXISTS "${s}".meta (
     one boolean PRIMARY KEY DEFAULT true CHECK (one),
     revision bigint NOT NULL,
     layout integer NOT NULL)`,
  `INSERT INTO "${s}".meta (revision, layout) VALUES (0, ${LAYOUT}) ON CONFLICT DO NOTHING`,
  `CREATE TABLE IF NOT EXISTS "${s}".leases (
     id text PRIMARY KEY,
     app text,
     owner text,
     ttl_ms bigint NOT NULL,
     implicit boolean NOT NULL DEFAULT false,
     expires_at timestamptz NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS leases_expires_at ON "${s}".leases (expires_at)`,
  `CREATE TABLE IF NOT EXISTS "${s}".locks (
     key text COLLATE "C" PRIMARY KEY,
     lease_id text NOT NULL,
     token bigint NOT NULL,
     acquired_at timestamptz NOT NULL,
     hold_until timestamptz,
     waiter text)`,
  `CREATE INDEX IF NOT EXISTS locks_lease ON "${s}".locks (lease_id)`,
  `CREATE INDEX IF NOT EXISTS locks_hold_until ON "${s}".locks (hold_until) WHERE hold_until IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS "${s}".waiters (
     id bigserial PRIMARY KEY,
     waiter text NOT NULL UNIQUE,
     key text COLLATE "C" NOT NULL,
     lease_id text NOT NULL,
     server text NOT NULL,
     since timestamptz NOT NULL,
     deadline timestamptz NOT NULL,
     hold_ms bigint)`,
  `CREATE INDEX IF NOT EXISTS waiters_key ON "${s}".waiters (key, id)`,
  `CREATE INDEX IF NOT EXISTS waiters_lease ON "${s}".waiters (lease_id)`,
];

/**
 * Creates the schema and its tables when absent, in one transaction under an advisory lock, so
 * servers starting together do not race on the catalog; returns the layout the schema carries.
 */
export async function ensureSchema(sql: PgSql, schema: string): Promise<number> {
  return sql.begin<number>(async (raw) => {
    const tx = raw as unknown as PgTx;
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`leasehold schema ${schema}`}, 0))`;
    for (const statement of DDL(schema)) await tx.unsafe(statement);
    const [row] = await tx.unsafe<{ layout: number }[]>(`SELECT layout FROM "${schema}".meta`);
    return row?.layout ?? LAYOUT;
  });
}
