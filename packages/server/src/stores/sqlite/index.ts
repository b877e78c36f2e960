import { join, resolve } from 'node:path';
import { LocalStore } from '@leasehold/core';
import { defineStoreType } from '../store-type.js';
import { SqliteJournal } from './sqlite-journal.js';

/**
 * `lock.sqlite`: core's in-process store with its changes journaled to an SQLite file. Metadata:
 * `path` (default `<dataDir>/<component name>.sqlite`).
 */
export const sqliteStoreType = defineStoreType({
  type: 'lock.sqlite',
  parse: ({ name, metadata }, { dataDir }) =>
    resolve(metadata.get('path') ?? join(dataDir, `${name}.sqlite`)),
  open: (_name, path) => Promise.resolve(new LocalStore({ journal: new SqliteJournal(path) })),
});
