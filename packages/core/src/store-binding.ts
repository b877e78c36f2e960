import type { Store } from './store.js';

/** A configured store: its component name, type and key-prefix strategy. */
export interface StoreBinding {
  readonly name: string;
  readonly type: string;
  readonly keyPrefix: string;
  readonly store: Store;
}
