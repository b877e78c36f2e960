import { capabilitiesOf } from '../operator-views.js';
import type { OpHandlers } from './op-handler.js';
import type { STORE_OPS } from './store-ops.js';

/** The handlers of the store ops. */
export const STORE_HANDLERS = {
  'stores.list': { run: (s, caller) => Promise.resolve(s.storesFor(caller)) },
  'stores.get': {
    run: (s, _caller, store) => {
      const { name, type, store: opened } = s.binding(store); // STORE_NOT_FOUND when not configured
      return Promise.resolve({ name, type, capabilities: capabilitiesOf(opened) });
    },
  },
  'stores.overview': { run: (s, caller, store) => s.overview(caller, store) },
} satisfies OpHandlers<keyof typeof STORE_OPS>;
