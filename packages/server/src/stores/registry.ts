import { etcdStoreType } from './etcd/index.js';
import { memoryStoreType } from './memory/index.js';
import { postgresqlStoreType } from './postgresql/index.js';
import { redisStoreType } from './redis/index.js';
import { sqliteStoreType } from './sqlite/index.js';
import type { RegisteredStoreType } from './store-type.js';

// The one list of store types: component validation and start-up both read it. A new store is a
// folder under stores/ exporting a `defineStoreType(...)`, plus one line here.
const STORE_TYPES: readonly RegisteredStoreType[] = [
  sqliteStoreType,
  memoryStoreType,
  redisStoreType,
  etcdStoreType,
  postgresqlStoreType,
];

/** The `spec.type` names this server can run, in the order error messages list them. */
export function storeTypeNames(): string[] {
  return STORE_TYPES.map((store) => store.type);
}

/** The store type a component's `spec.type` names, or undefined when this build has none. */
export function findStoreType(type: string): RegisteredStoreType | undefined {
  return STORE_TYPES.find((store) => store.type === type);
}
