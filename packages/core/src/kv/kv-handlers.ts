import type { OpHandlers } from '../ops/op-handler.js';
import type { KV_OPS } from './kv-ops.js';

/** The handlers of the KV ops: each a call into KvService. */
export const KV_HANDLERS = {
  'kv.put': { run: (s, caller, store, args) => s.kv.put(caller, store, args) },
  'kv.get': { run: (s, caller, store, args) => s.kv.get(caller, store, args.key) },
  'kv.list': { run: (s, caller, store, args) => s.kv.list(caller, store, args) },
  'kv.delete': { run: (s, caller, store, args) => s.kv.delete(caller, store, args.key) },
} satisfies OpHandlers<keyof typeof KV_OPS>;
