import { LeaseholdError } from '@leasehold/core';
import type { LeaseApp } from '@leasehold/core';
import type { ICompare } from 'etcd3';
import { compare } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { etcdLeaseIdOf } from './etcd-lease-id.js';

/** The LEASE_NOT_FOUND error of an unknown, ended or another app's lease. */
export function leaseNotFound(leaseId: string): LeaseholdError {
  return new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${leaseId} not found or expired`, {
    field: 'leaseId',
  });
}

/**
 * The lease `leaseId` as `app` may name it, or undefined when it names none. An app's reference
 * costs no round trip: the app's index key is compared in the operation's own transaction (see
 * leaseGuard). An admin's costs a record read (cached), to learn whose lease it is.
 */
export async function resolveLease(
  ctx: EtcdContext,
  leaseId: string,
  app: LeaseApp,
): Promise<LeaseRef | undefined> {
  const etcdId = etcdLeaseIdOf(leaseId);
  if (etcdId === undefined) return undefined;
  if (app !== undefined) return { id: leaseId, etcdId, app };
  const facts = await ctx.leases.find(leaseId);
  return facts && { id: leaseId, etcdId, app: facts.app };
}

/** The lease an operation names, as its caller may use it; LEASE_NOT_FOUND when it names none. */
export async function requireLease(ctx: EtcdContext, leaseId: string, app: LeaseApp): Promise<LeaseRef> {
  const lease = await resolveLease(ctx, leaseId, app);
  if (!lease) throw leaseNotFound(leaseId);
  return lease;
}

/** The key whose existence proves the lease alive, its nonce right and its app `ref.app`. */
export function leaseGuardKey(ctx: EtcdContext, ref: LeaseRef): Buffer {
  return ref.app === undefined ? ctx.keys.lease(ref.id) : ctx.keys.appLease(ref.app, ref.id);
}

/** The transaction compare of leaseGuardKey: another app's lease, a wrong nonce and an ended lease fail it. */
export function leaseGuard(ctx: EtcdContext, ref: LeaseRef): ICompare {
  return compare.version(leaseGuardKey(ctx, ref), '>', 0);
}
