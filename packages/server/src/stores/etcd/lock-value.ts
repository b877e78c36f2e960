import type { LockHolder } from '@leasehold/core';
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { etcdRevisionOf, indexOf, position } from './etcd-position.js';

/** What a lock key holds. The holder's lease is also the key's etcd lease. */
export interface LockValue {
  /** The grant's slot in its batch (first, so a compare can test it); absent on older grants: 0. */
  readonly slot?: number;
  /** The holder's public lease id. */
  readonly leaseId: string;
  /** The holder's app; absent on grants from before leases had apps. */
  readonly app?: string;
  /** Wall-clock ms of the grant. */
  readonly acquiredAt: number;
  /** Wall-clock ms after which maxHoldMs releases the lock. */
  readonly holdUntil?: number;
}

/**
 * The writes of a new grant of `key` to `lease` in batch slot `slot`: the lock key and the app's index
 * entry, both on the lease.
 */
export function grantWrites(
  ctx: EtcdContext,
  key: string,
  lease: LeaseRef,
  maxHoldMs: number | undefined,
  slot: number,
): IRequestOp[] {
  const acquiredAt = Date.now();
  const value: LockValue = {
    slot,
    leaseId: lease.id,
    ...(lease.app === undefined ? {} : { app: lease.app }),
    acquiredAt,
    ...(maxHoldMs === undefined ? {} : { holdUntil: acquiredAt + maxHoldMs }),
  };
  const writes = [request.put(ctx.keys.lock(key), JSON.stringify(value), lease.etcdId)];
  if (lease.app !== undefined) writes.push(request.put(ctx.keys.appLock(lease.app, key), '', lease.etcdId));
  return writes;
}

/** The deletes that end a grant of `key` held by a lease of `app`. */
export function releaseWrites(ctx: EtcdContext, key: string, app: string | undefined): IRequestOp[] {
  const deletes = [request.delete(ctx.keys.lock(key))];
  if (app !== undefined) deletes.push(request.delete(ctx.keys.appLock(app, key)));
  return deletes;
}

/** Decodes a lock key's value. */
export function decodeLock(kv: IKeyValue): LockValue {
  try {
    return JSON.parse(kv.value.toString()) as LockValue;
  } catch {
    return { leaseId: kv.lease, acquiredAt: 0 };
  }
}

/** A lock key's fencing token: the position of the revision that created it and the grant's slot. */
export function tokenOf(kv: IKeyValue): number {
  return position(kv.create_revision, decodeLock(kv).slot ?? 0);
}

/** The token of a grant committed at `revision` in batch slot `slot`. */
export function grantToken(revision: number | string, slot: number): number {
  return position(revision, slot);
}

/**
 * Compares that hold while `token` is the current grant of `key`: the lock key's create revision,
 * and its value starting with the token's slot (two grants of one revision differ only there).
 */
export function grantCompares(ctx: EtcdContext, key: string, token: number): ICompare[] {
  const lockKey = ctx.keys.lock(key);
  const slot = `{"slot":${indexOf(token)}`;
  // Values starting `{"slot":N,` lie between that prefix and the same with ',' raised to '-'.
  return [
    compare.created(lockKey, '=', etcdRevisionOf(token)),
    compare.value(lockKey, '>', Buffer.from(`${slot},`)),
    compare.value(lockKey, '<', Buffer.from(`${slot}-`)),
  ];
}

/** Who holds a lock key: lease id and app from its value, owner from its lease record. */
export async function holderOf(ctx: EtcdContext, held: IKeyValue): Promise<LockHolder> {
  const value = decodeLock(held);
  const facts = await ctx.leases.find(value.leaseId);
  return {
    leaseId: value.leaseId,
    fencingToken: tokenOf(held),
    ...(facts?.owner === undefined ? {} : { owner: facts.owner }),
    ...(value.app === undefined ? {} : { app: value.app }),
  };
}

/** Deletes the lock only while `token` is its current grant (held by a lease of `app`); true when it did. */
export async function releaseGrant(
  ctx: EtcdContext,
  key: string,
  token: number,
  app: string | undefined,
): Promise<boolean> {
  const response = await ctx.conn.txn(
    'release',
    grantCompares(ctx, key, token),
    releaseWrites(ctx, key, app),
  );
  return response.succeeded;
}
