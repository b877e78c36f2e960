import type { OpHandlers } from '../ops/op-handler.js';
import type { SEMAPHORE_OPS } from './semaphore-ops.js';

/** The handlers of the semaphore ops: each a call into SemaphoreService. */
export const SEMAPHORE_HANDLERS = {
  'semaphores.acquire': {
    run: (s, caller, store, args, signal) => s.semaphores.acquire(caller, store, args, signal),
    granted: (result: { acquired: boolean }) => result.acquired,
    undo: (s, caller, store, args) => s.semaphores.release(caller, store, args),
  },
  'semaphores.release': { run: (s, caller, store, args) => s.semaphores.release(caller, store, args) },
  'semaphores.describe': {
    run: (s, caller, store, args) => s.semaphores.describe(caller, store, args.name),
  },
  'semaphores.list': { run: (s, caller, store, args) => s.semaphores.list(caller, store, args.prefix) },
  'semaphores.check': {
    run: (s, caller, store, args) => s.semaphores.check(caller, store, args.name, args.token),
  },
  'semaphores.setLimit': { run: (s, caller, store, args) => s.semaphores.setLimit(caller, store, args) },
} satisfies OpHandlers<keyof typeof SEMAPHORE_OPS>;
