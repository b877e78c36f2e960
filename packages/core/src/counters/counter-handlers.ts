import type { OpHandlers } from '../ops/op-handler.js';
import type { COUNTER_OPS } from './counter-ops.js';

/** The handlers of the counter ops: each a call into CounterService. */
export const COUNTER_HANDLERS = {
  'counters.add': { run: (s, caller, store, args) => s.counters.add(caller, store, args) },
  'counters.get': { run: (s, caller, store, args) => s.counters.get(caller, store, args.name) },
  'counters.set': { run: (s, caller, store, args) => s.counters.set(caller, store, args) },
} satisfies OpHandlers<keyof typeof COUNTER_OPS>;
