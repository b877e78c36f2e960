import { UnlockStatus } from '@leasehold/core';
import type { AcquireResult } from '@leasehold/core';
import { compare, rangeAt, request } from './etcd-connection.js';
import { prefixEnd } from './etcd-keys.js';
import type { EtcdContext, LeaseRecord } from './etcd-leases.js';
import { encodeLease, grantRawLease, readLease, revokeLease } from './etcd-leases.js';
import { holderOf, lockValue, releaseGrant, tokenOf } from './etcd-locks.js';

/**
 * Dapr TryLock: a fresh etcd lease of ceil(ttl) seconds, then one transaction that writes the lock
 * and the owner record on it if the lock is free and nobody queues. Losing revokes the fresh lease.
 */
export async function daprTryLock(
  ctx: EtcdContext,
  key: string,
  owner: string,
  ttlMs: number,
): Promise<AcquireResult> {
  const lease = await grantRawLease(ctx, ttlMs);
  const lockKey = ctx.keys.lock(key);
  const queue = ctx.keys.queue(key);
  const record: LeaseRecord = { ttlMs: lease.ttlMs, owner, implicit: true };
  try {
    const response = await ctx.conn.txn(
      'daprTryLock',
      [compare.created(lockKey, '=', 0), compare.created(queue, '=', 0, prefixEnd(queue))],
      [
        request.put(lockKey, lockValue(lease.id, undefined), lease.id),
        request.put(ctx.keys.lease(lease.id), encodeLease(record), lease.id),
      ],
      [request.get(lockKey)],
    );
    if (response.succeeded) return { acquired: true, fencingToken: Number(response.header.revision) };
    await revokeLease(ctx, lease.id);
    const held = rangeAt(response, 0);
    return held ? { acquired: false, holder: await holderOf(ctx, held) } : { acquired: false };
  } catch (error) {
    await revokeLease(ctx, lease.id).catch(() => undefined);
    throw error;
  }
}

/** Dapr Unlock: the holder's lease record must name `owner`; an implicit lease is revoked whole. */
export async function daprUnlock(ctx: EtcdContext, key: string, owner: string): Promise<UnlockStatus> {
  const response = await ctx.conn.range('daprUnlock', { key: ctx.keys.lock(key) });
  const held = response.kvs[0];
  if (!held) return UnlockStatus.LOCK_DOES_NOT_EXIST;
  const record = await readLease(ctx, held.lease);
  if (record?.owner !== owner) return UnlockStatus.LOCK_BELONGS_TO_OTHERS;
  // The implicit lease holds nothing else, so revoking it is the unlock; otherwise release this grant only.
  const done = record.implicit
    ? await revokeLease(ctx, held.lease)
    : await releaseGrant(ctx, key, tokenOf(held));
  return done ? UnlockStatus.SUCCESS : UnlockStatus.LOCK_DOES_NOT_EXIST;
}
