import type { OpHandlers } from '../ops/op-handler.js';
import type { LOCK_OPS } from './lock-ops.js';

/** The handlers of the lock ops: each a call into LocksService. */
export const LOCK_HANDLERS = {
  'locks.acquire': {
    run: (s, caller, store, args, signal) => s.locks.acquire(caller, store, args, signal),
    granted: (result: { acquired: boolean }) => result.acquired,
    undo: (s, caller, store, args) => s.locks.release(caller, store, args),
  },
  'locks.acquireAll': {
    run: (s, caller, store, args, signal) => s.multiLocks.acquireAll(caller, store, args, signal),
    granted: (result: { acquired: boolean }) => result.acquired,
    undo: (s, caller, store, args) => s.multiLocks.releaseAll(caller, store, args),
  },
  'locks.releaseAll': { run: (s, caller, store, args) => s.multiLocks.releaseAll(caller, store, args) },
  'locks.release': { run: (s, caller, store, args) => s.locks.release(caller, store, args) },
  'locks.forceRelease': { run: (s, caller, store, args) => s.locks.forceRelease(caller, store, args) },
  'locks.describe': { run: (s, caller, store, args) => s.locks.describe(caller, store, args.name) },
  'locks.list': { run: (s, caller, store, args) => s.locks.list(caller, store, args.prefix) },
  'locks.check': { run: (s, caller, store, args) => s.locks.check(caller, store, args.name, args.token) },
  'locks.queue': { run: (s, caller, store, args) => s.locks.queue(caller, store, args.name) },
  'locks.listAll': { run: (s, caller, store, args) => s.locks.listAll(caller, store, args.prefix) },
} satisfies OpHandlers<keyof typeof LOCK_OPS>;
