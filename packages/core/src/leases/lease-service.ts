import { LeaseholdError } from '../errors.js';
import { checkInteger, checkOptionalString } from '../limits.js';
import { labelLease } from '../operator-views.js';
import { asBody, readLeaseId } from '../service/arguments.js';
import { checkStored } from '../service/quota-checks.js';
import type { ServiceContext } from '../service/service-context.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf } from '../tenancy.js';
import type { LeaseDetail } from '../types.js';

/** Keep-alives in flight at once for a store without a bulk keep-alive. */
const KEEP_ALIVE_SLICE = 1_000;

/** A lease as its app sees it: the names of its locks and keys, not their store keys. */
export interface LeaseView {
  readonly id: string;
  readonly ttlMs: number;
  readonly owner?: string;
  readonly app?: string;
  readonly remainingMs: number;
  readonly locks: string[];
  readonly keys: string[];
}

/** etcd's LeaseTimeToLive: a lease that is gone (or another app's) is a value, not an error. */
export type LeaseTimeToLive =
  | { readonly id: string; readonly live: true; readonly ttlMs: number; readonly remainingMs: number }
  | { readonly id: string; readonly live: false };

/**
 * Leases, checked and scoped: a lease belongs to the app that granted it, and to any other app
 * its id answers exactly like one that does not exist (LEASE_NOT_FOUND).
 */
export class LeaseService {
  constructor(private readonly context: ServiceContext) {}

  /** Grants a lease owned by the caller's app. */
  async grant(caller: Caller, storeName: string, body: unknown): Promise<{ id: string; ttlMs: number }> {
    const binding = this.context.target(caller, storeName, 'grantLease');
    const { limits } = this.context;
    const input = asBody(body);
    const ttlMs = checkInteger('ttlMs', input.ttlMs, limits.minTtlMs, limits.maxTtlMs);
    const owner = checkOptionalString('owner', input.owner, limits.ownerMaxBytes);
    const checked = checkStored(this.context, caller, binding, ['leases']);
    if (checked) await checked;
    const lease = await binding.store.leases.grant({
      ttlMs,
      app: caller.appId,
      ...(owner === undefined ? {} : { owner }),
    });
    return { id: lease.id, ttlMs: lease.ttlMs };
  }

  /** Renews a lease; LEASE_NOT_FOUND when it is gone or another app's. */
  async keepAlive(
    caller: Caller,
    storeName: string,
    leaseId: unknown,
  ): Promise<{ id: string; ttlMs: number }> {
    const { store } = this.context.target(caller, storeName, 'keepAlive');
    const id = readLeaseId(leaseId);
    const lease = await store.leases.keepAlive(id, leaseAppOf(caller));
    if (!lease) throw leaseNotFound(id);
    return { id: lease.id, ttlMs: lease.ttlMs };
  }

  /**
   * Renews many of the caller's leases in one store call where the store has one (else one
   * keep-alive each, a slice at a time); returns the ids that are gone or another app's.
   */
  async keepAliveMany(caller: Caller, storeName: string, leaseIds: readonly string[]): Promise<string[]> {
    const { store } = this.context.target(caller, storeName, 'keepAlive');
    const app = leaseAppOf(caller);
    if (store.leases.keepAliveMany) return store.leases.keepAliveMany(leaseIds, app);
    const lost: string[] = [];
    for (let i = 0; i < leaseIds.length; i += KEEP_ALIVE_SLICE) {
      const slice = leaseIds.slice(i, i + KEEP_ALIVE_SLICE);
      const renewed = await Promise.all(slice.map((id) => store.leases.keepAlive(id, app)));
      slice.forEach((id, n) => {
        if (renewed[n] === undefined) lost.push(id);
      });
    }
    return lost;
  }

  /** Revokes a lease; idempotent. Another app's lease reads as already gone. */
  async revoke(caller: Caller, storeName: string, leaseId: unknown): Promise<{ revoked: boolean }> {
    const { store } = this.context.target(caller, storeName, 'revokeLease');
    return { revoked: await store.leases.revoke(readLeaseId(leaseId), leaseAppOf(caller)) };
  }

  /** Describes a lease with the names of its locks and keys in the caller's scope. */
  async get(caller: Caller, storeName: string, leaseId: unknown): Promise<LeaseView> {
    const binding = this.context.target(caller, storeName, 'getLease');
    const scope = this.context.scopeOf(caller, binding);
    const id = readLeaseId(leaseId);
    const lease = await binding.store.leases.get(id, leaseAppOf(caller));
    if (!lease) throw leaseNotFound(id);
    const names = (keys: readonly string[]) => keys.flatMap((k) => scope.unscope(k)?.name ?? []);
    return {
      id: lease.id,
      ttlMs: lease.ttlMs,
      ...(lease.owner === undefined ? {} : { owner: lease.owner }),
      ...(lease.app === undefined ? {} : { app: lease.app }),
      remainingMs: lease.remainingMs,
      locks: names(lease.locks),
      keys: names(lease.keys),
    };
  }

  /** How long a lease has left; `live: false` once it is gone, expired or another app's. */
  async timeToLive(caller: Caller, storeName: string, leaseId: unknown): Promise<LeaseTimeToLive> {
    try {
      const { id, ttlMs, remainingMs } = await this.get(caller, storeName, leaseId);
      return { id, live: true, ttlMs, remainingMs };
    } catch (error) {
      if (!(error instanceof LeaseholdError) || error.code !== 'LEASE_NOT_FOUND') throw error;
      return { id: String(leaseId), live: false };
    }
  }

  /**
   * Lists every app's live leases (admin only: leases belong to no one app's key space), with
   * the names of their locks and keys, each read in the key space it lives in.
   */
  async list(caller: Caller, storeName: string): Promise<LeaseDetail[]> {
    if (caller.role !== 'admin') throw new LeaseholdError('FORBIDDEN', 'listing leases needs an admin token');
    const binding = this.context.target(caller, storeName, 'listLeases');
    const { leases: store } = binding.store;
    if (!store.list) throw new LeaseholdError('NOT_SUPPORTED', `store: ${storeName} cannot list leases`);
    const leases = await store.list(this.context.limits.listMax);
    return leases.map((lease) => labelLease(binding.keyPrefix, lease));
  }
}

/** The one answer for a lease that is missing, expired or another app's. */
function leaseNotFound(id: string): LeaseholdError {
  return new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${id} not found or expired`, {
    field: 'leaseId',
  });
}
