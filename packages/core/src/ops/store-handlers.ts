import type { OpHandlers } from './op-handler.js';
import type { STORE_OPS } from './store-ops.js';

/** The handlers of the store ops. */
export const STORE_HANDLERS = {
  'stores.list': { run: (s, caller) => Promise.resolve(s.storesFor(caller)) },
  'stores.overview': { run: (s, caller, store) => s.overview(caller, store) },
} satisfies OpHandlers<keyof typeof STORE_OPS>;
