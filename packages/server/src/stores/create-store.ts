import { LeaseholdError } from '@leasehold/core';
import type { Store } from '@leasehold/core';
import type { ComponentSpec } from '../components.js';
import { findStoreType } from './registry.js';
import type { StoreContext } from './store-type.js';

export type { StoreContext } from './store-type.js';

/** Builds the store a component describes; metadata errors name the component and field. */
export async function createStore(component: ComponentSpec, context: StoreContext): Promise<Store> {
  const storeType = findStoreType(component.type);
  if (storeType === undefined) {
    throw new LeaseholdError(
      'INVALID_ARGUMENT',
      `component ${component.name}: spec.type: ${component.type} is not available in this build`,
    );
  }
  return storeType.create(component, context);
}
