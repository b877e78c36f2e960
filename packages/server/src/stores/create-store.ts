import { join, resolve } from 'node:path';
import { LeaseholdError, LocalStore } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import type { ComponentSpec } from '../components.js';
import { createEtcdStore } from './etcd/index.js';
import { createRedisStore } from './redis/index.js';
import { SqliteJournal } from './sqlite-journal.js';

/** Where stores put their files. */
export interface StoreContext {
  readonly dataDir: string;
}

/** Builds the store a component describes; metadata errors name the component and field. */
export async function createStore(component: ComponentSpec, context: StoreContext): Promise<Store> {
  switch (component.type) {
    case 'lock.memory':
      return new LocalStore();
    case 'lock.sqlite': {
      const path = component.metadata.get('path') ?? join(context.dataDir, `${component.name}.sqlite`);
      return new LocalStore({ journal: new SqliteJournal(resolve(path)) });
    }
    case 'lock.redis':
      return createRedisStore(component.name, component.metadata);
    case 'lock.etcd':
      return createEtcdStore(component.name, component.metadata);
    default:
      return Promise.reject(
        new LeaseholdError(
          'INVALID_ARGUMENT',
          `component ${component.name}: spec.type: ${component.type} is not available in this build`,
        ),
      );
  }
}
