import type { AcquireResult, LockHolder, LockInfo, ReleaseStatus } from '@leasehold/core';
import type { IKeyValue } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import { prefixEnd } from './etcd-keys.js';
import type { EtcdContext } from './etcd-leases.js';
import { isLeaseId, leaseNotFound, readLease } from './etcd-leases.js';

/** What a lock key holds. The holder's lease is also the key's etcd lease. */
export interface LockValue {
  readonly leaseId: string;
  /** Wall-clock ms of the grant. */
  readonly acquiredAt: number;
  /** Wall-clock ms after which maxHoldMs releases the lock. */
  readonly holdUntil?: number;
}

/** Encodes the value of a new grant. */
export function lockValue(leaseId: string, maxHoldMs: number | undefined): string {
  const acquiredAt = Date.now();
  const value: LockValue = {
    leaseId,
    acquiredAt,
    ...(maxHoldMs === undefined ? {} : { holdUntil: acquiredAt + maxHoldMs }),
  };
  return JSON.stringify(value);
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

/** A free lock with an empty queue goes to the lease; the lease must be alive. */
export async function tryAcquire(
  ctx: EtcdContext,
  key: string,
  leaseId: string,
  maxHoldMs: number | undefined,
): Promise<AcquireResult> {
  if (!isLeaseId(leaseId)) throw leaseNotFound(leaseId);
  const lockKey = ctx.keys.lock(key);
  const queue = ctx.keys.queue(key);
  const response = await ctx.conn.txn(
    'acquire',
    [
      compare.version(ctx.keys.lease(leaseId), '>', 0),
      compare.created(lockKey, '=', 0),
      // Every key of the queue range has create revision 0, i.e. the queue is empty.
      compare.created(queue, '=', 0, prefixEnd(queue)),
    ],
    [request.put(lockKey, lockValue(leaseId, maxHoldMs), leaseId)],
    [request.get(ctx.keys.lease(leaseId)), request.get(lockKey)],
  );
  if (response.succeeded) return { acquired: true, fencingToken: Number(response.header.revision) };
  if (!rangeAt(response, 0)) throw leaseNotFound(leaseId);
  const held = rangeAt(response, 1);
  if (!held) return { acquired: false };
  if (held.lease === leaseId) return { acquired: true, fencingToken: tokenOf(held) };
  return { acquired: false, holder: await holderOf(ctx, held) };
}

/** Who holds a lock key, with the owner from its lease record. */
export async function holderOf(ctx: EtcdContext, held: IKeyValue): Promise<LockHolder> {
  const record = await readLease(ctx, held.lease);
  return {
    leaseId: held.lease,
    fencingToken: tokenOf(held),
    ...(record?.owner === undefined ? {} : { owner: record.owner }),
  };
}

/** Deletes the lock only if the lease still holds it. */
export async function release(ctx: EtcdContext, key: string, leaseId: string): Promise<ReleaseStatus> {
  const lockKey = ctx.keys.lock(key);
  if (!isLeaseId(leaseId)) {
    const held = await ctx.conn.range('release', { key: lockKey, count_only: true });
    return Number(held.count) > 0 ? 'held_by_other' : 'not_held';
  }
  const response = await ctx.conn.txn(
    'release',
    [compare.lease(lockKey, '=', leaseId)],
    [request.delete(lockKey)],
    [request.get(lockKey, { count_only: true })],
  );
  if (response.succeeded) return 'released';
  return Number(response.responses[0]?.response_range.count ?? 0) > 0 ? 'held_by_other' : 'not_held';
}

/** Deletes the lock only while `token` is its current grant; true when it did. */
export async function releaseGrant(ctx: EtcdContext, key: string, token: number): Promise<boolean> {
  const lockKey = ctx.keys.lock(key);
  const response = await ctx.conn.txn(
    'release',
    [compare.created(lockKey, '=', token)],
    [request.delete(lockKey)],
  );
  return response.succeeded;
}

/** Deletes the lock whoever holds it. */
export async function forceRelease(ctx: EtcdContext, key: string): Promise<boolean> {
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
    ...(holder.owner === undefined ? {} : { owner: holder.owner }),
    fencingToken: holder.fencingToken,
    acquiredAt: value.acquiredAt,
    ...(Number.isFinite(ends) ? { expiresInMs: Math.max(0, Math.round(ends)) } : {}),
    waiters,
  };
}

async function leaseRemainingMs(ctx: EtcdContext, leaseId: string): Promise<number | undefined> {
  try {
    const ttl = await ctx.conn.client.leaseClient.leaseTimeToLive({ ID: leaseId });
    return Number(ttl.TTL) < 0 ? undefined : Number(ttl.TTL) * 1000;
  } catch {
    // A description without expiry beats a failed description.
    return undefined;
  }
}
