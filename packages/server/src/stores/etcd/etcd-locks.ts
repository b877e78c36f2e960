import type { AcquireResult, LockHolder, LockInfo, ReleaseStatus } from '@leasehold/core';
import type { IKeyValue, IRequestOp } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { prefixEnd } from './etcd-keys.js';
import { leaseGuard, leaseGuardKey, leaseNotFound } from './etcd-leases.js';

/** What a lock key holds. The holder's lease is also the key's etcd lease. */
export interface LockValue {
  /** The holder's public lease id. */
  readonly leaseId: string;
  /** The holder's app; absent on grants from before leases had apps. */
  readonly app?: string;
  /** Wall-clock ms of the grant. */
  readonly acquiredAt: number;
  /** Wall-clock ms after which maxHoldMs releases the lock. */
  readonly holdUntil?: number;
}

const FORCE_ATTEMPTS = 10;

/** The writes of a new grant of `key` to `lease`: the lock key and the app's index entry, both on the lease. */
export function grantWrites(
  ctx: EtcdContext,
  key: string,
  lease: LeaseRef,
  maxHoldMs: number | undefined,
): IRequestOp[] {
  const acquiredAt = Date.now();
  const value: LockValue = {
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

/** A lock key's fencing token: the revision that created it. */
export function tokenOf(kv: IKeyValue): number {
  return Number(kv.create_revision);
}

/** A free lock with an empty queue goes to the lease; the lease must be alive and the caller's. */
export async function tryAcquire(
  ctx: EtcdContext,
  key: string,
  lease: LeaseRef,
  maxHoldMs: number | undefined,
): Promise<AcquireResult> {
  const lockKey = ctx.keys.lock(key);
  const queue = ctx.keys.queue(key);
  const response = await ctx.conn.txn(
    'acquire',
    [
      leaseGuard(ctx, lease),
      compare.created(lockKey, '=', 0),
      // Every key of the queue range has create revision 0, i.e. the queue is empty.
      compare.created(queue, '=', 0, prefixEnd(queue)),
    ],
    grantWrites(ctx, key, lease, maxHoldMs),
    [request.get(leaseGuardKey(ctx, lease), { keys_only: true }), request.get(lockKey)],
  );
  if (response.succeeded) return { acquired: true, fencingToken: Number(response.header.revision) };
  if (!rangeAt(response, 0)) throw leaseNotFound(lease.id);
  const held = rangeAt(response, 1);
  if (!held) return { acquired: false };
  if (held.lease === lease.etcdId) return { acquired: true, fencingToken: tokenOf(held) };
  return { acquired: false, holder: await holderOf(ctx, held) };
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

/** Deletes the lock only if this lease (of its app, nonce right) still holds it. */
export async function release(ctx: EtcdContext, key: string, lease: LeaseRef): Promise<ReleaseStatus> {
  const lockKey = ctx.keys.lock(key);
  const response = await ctx.conn.txn(
    'release',
    [compare.lease(lockKey, '=', lease.etcdId), leaseGuard(ctx, lease)],
    releaseWrites(ctx, key, lease.app),
    [request.get(lockKey, { count_only: true })],
  );
  if (response.succeeded) return 'released';
  return Number(response.responses[0]?.response_range.count ?? 0) > 0 ? 'held_by_other' : 'not_held';
}

/** What a release by a lease that does not exist (for the caller) finds. */
export async function releaseUnknown(ctx: EtcdContext, key: string): Promise<ReleaseStatus> {
  const held = await ctx.conn.range('release', { key: ctx.keys.lock(key), count_only: true });
  return Number(held.count) > 0 ? 'held_by_other' : 'not_held';
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
    [compare.created(ctx.keys.lock(key), '=', token)],
    releaseWrites(ctx, key, app),
  );
  return response.succeeded;
}

/** Deletes the lock whoever holds it: reads the grant, then releases that grant. */
export async function forceRelease(ctx: EtcdContext, key: string): Promise<boolean> {
  for (let attempt = 0; attempt < FORCE_ATTEMPTS; attempt++) {
    const held = (await ctx.conn.range('forceRelease', { key: ctx.keys.lock(key) })).kvs[0];
    if (!held) return false;
    if (await releaseGrant(ctx, key, tokenOf(held), decodeLock(held).app)) return true;
  }
  // Granted anew every time we looked: still free it, leaving the app index to its lease's end.
  const response = await ctx.conn.txn('forceRelease', [], [request.delete(ctx.keys.lock(key))]);
  return Number(response.responses[0]?.response_delete_range.deleted ?? 0) > 0;
}

/** True while `token` is the lock's current grant. */
export async function checkFence(ctx: EtcdContext, key: string, token: number): Promise<boolean> {
  const response = await ctx.conn.range('checkFence', { key: ctx.keys.lock(key) });
  const held = response.kvs[0];
  return held !== undefined && tokenOf(held) === token;
}

/** Describes a lock: holder, owner, token, the nearer of lease expiry and hold deadline, waiters. */
export async function describeLock(ctx: EtcdContext, key: string): Promise<LockInfo> {
  const queue = ctx.keys.queue(key);
  const response = await ctx.conn.txn(
    'describeLock',
    [],
    [request.get(ctx.keys.lock(key)), request.count(queue, prefixEnd(queue))],
  );
  const waiters = Number(response.responses[1]?.response_range.count ?? 0);
  const held = rangeAt(response, 0);
  if (!held) return { key, held: false, waiters };
  return describeHeld(ctx, key, held, waiters);
}

/** Lists held locks under `prefix`, in key order. */
export async function listLocks(ctx: EtcdContext, prefix: string, limit: number): Promise<LockInfo[]> {
  const start = ctx.keys.lock(prefix);
  const response = await ctx.conn.range('listLocks', { key: start, range_end: prefixEnd(start), limit });
  return Promise.all(
    response.kvs.map(async (kv) => {
      const key = ctx.keys.lockName(kv.key);
      const queue = ctx.keys.queue(key);
      const count = await ctx.conn.range('listLocks', {
        key: queue,
        range_end: prefixEnd(queue),
        count_only: true,
      });
      return describeHeld(ctx, key, kv, Number(count.count));
    }),
  );
}

async function describeHeld(
  ctx: EtcdContext,
  key: string,
  held: IKeyValue,
  waiters: number,
): Promise<LockInfo> {
  const value = decodeLock(held);
  const [holder, leaseTtl] = await Promise.all([holderOf(ctx, held), leaseRemainingMs(ctx, held.lease)]);
  const ends = Math.min(
    leaseTtl ?? Infinity,
    value.holdUntil === undefined ? Infinity : value.holdUntil - Date.now(),
  );
  return {
    key,
    held: true,
    leaseId: holder.leaseId,
    ...(holder.app === undefined ? {} : { app: holder.app }),
    ...(holder.owner === undefined ? {} : { owner: holder.owner }),
    fencingToken: holder.fencingToken,
    acquiredAt: value.acquiredAt,
    ...(Number.isFinite(ends) ? { expiresInMs: Math.max(0, Math.round(ends)) } : {}),
    waiters,
  };
}

async function leaseRemainingMs(ctx: EtcdContext, etcdId: string): Promise<number | undefined> {
  try {
    const ttl = await ctx.conn.client.leaseClient.leaseTimeToLive({ ID: etcdId });
    return Number(ttl.TTL) < 0 ? undefined : Number(ttl.TTL) * 1000;
  } catch {
    // A description without expiry beats a failed description.
    return undefined;
  }
}
