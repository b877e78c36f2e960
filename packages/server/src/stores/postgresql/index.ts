import type { Store } from '@leasehold/core';
import { parsePgMetadata } from './config.js';
import { PostgresqlStore } from './postgresql-store.js';
import { defineStoreType } from '../store-type.js';

/** The validated `lock.postgresql` configuration, and its parser (for start-up checks). */
export type { PgConfig } from './config.js';
export { parsePgMetadata } from './config.js';

/**
 * `lock.postgresql`: metadata is validated first (bad fields throw INVALID_ARGUMENT naming the
 * field); the store opens even while Postgres is down, and creates its schema once it answers.
 */
export const postgresqlStoreType = defineStoreType({
  type: 'lock.postgresql',
  parse: ({ name, metadata }) => parsePgMetadata(name, metadata),
  open: (_name, config) => PostgresqlStore.open(config) as Promise<Store>,
});

/** Creates the `lock.postgresql` store of component `name`; bad metadata rejects, never throws. */
export async function createPostgresqlStore(
  name: string,
  metadata: ReadonlyMap<string, string>,
): Promise<PostgresqlStore> {
  return PostgresqlStore.open(parsePgMetadata(name, metadata));
}
