import type { OpHandlers } from '../ops/op-handler.js';
import type { RWLOCK_OPS } from './rwlock-ops.js';

/** The handlers of the read/write lock ops: each a call into RwLockService. */
export const RWLOCK_HANDLERS = {
  'rwlocks.acquire': {
    run: (s, caller, store, args, signal) => s.rwlocks.acquire(caller, store, args, signal),
    granted: (result: { acquired: boolean }) => result.acquired,
    undo: (s, caller, store, args) => s.rwlocks.release(caller, store, args),
  },
  'rwlocks.release': { run: (s, caller, store, args) => s.rwlocks.release(caller, store, args) },
  'rwlocks.describe': { run: (s, caller, store, args) => s.rwlocks.describe(caller, store, args.name) },
  'rwlocks.list': { run: (s, caller, store, args) => s.rwlocks.list(caller, store, args.prefix) },
  'rwlocks.check': {
    run: (s, caller, store, args) => s.rwlocks.check(caller, store, args.name, args.token),
  },
} satisfies OpHandlers<keyof typeof RWLOCK_OPS>;
