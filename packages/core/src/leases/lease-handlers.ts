import type { OpHandlers } from '../ops/op-handler.js';
import type { LEASE_OPS } from './lease-ops.js';

/** The handlers of the lease ops: each a call into LeaseService. */
export const LEASE_HANDLERS = {
  'leases.grant': { run: (s, caller, store, args) => s.leases.grant(caller, store, args) },
  'leases.keepAlive': { run: (s, caller, store, args) => s.leases.keepAlive(caller, store, args.leaseId) },
  'leases.revoke': { run: (s, caller, store, args) => s.leases.revoke(caller, store, args.leaseId) },
  'leases.get': { run: (s, caller, store, args) => s.leases.get(caller, store, args.leaseId) },
  'leases.timeToLive': { run: (s, caller, store, args) => s.leases.timeToLive(caller, store, args.leaseId) },
  'leases.list': { run: (s, caller, store) => s.leases.list(caller, store) },
} satisfies OpHandlers<keyof typeof LEASE_OPS>;
