import { UnlockStatus } from '@leasehold/core';
import type { AcquireResult, LeaseApp } from '@leasehold/core';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import { grantRawLease, newLease, revoke, revokeRawLease } from './etcd-leases.js';
import { decodeLock, grantWrites, holderOf, releaseGrant, tokenOf } from './etcd-locks.js';

/**
 * Dapr TryLock: a fresh etcd lease of ceil(ttl) seconds, then one transaction that writes the lock,
 * the owner record and the app's index entries on it if the lock is free and nobody queues. Losing
 * revokes the fresh lease. The implicit lease belongs to `app` like any other.
 */
export async function daprTryLock(
  ctx: EtcdContext,
  key: string,
  owner: string,
  ttlMs: number,
  app: string,
): Promise<AcquireResult> {
  const raw = await grantRawLease(ctx, ttlMs);
  const lease = newLease(ctx, raw, { owner, app, implicit: true });
  const lockKey = ctx.keys.lock(key);
  const queue = ctx.keys.queue(key);
  try {
    const response = await ctx.conn.txn(
      'daprTryLock',
      [compare.created(lockKey, '=', 0), compare.created(queue, '=', 0, prefixEnd(queue))],
      [...grantWrites(ctx, key, { id: lease.facts.id, etcdId: raw.etcdId, app }, undefined), ...lease.writes],
      [request.get(lockKey)],
    );
    if (response.succeeded) {
      ctx.leases.remember(lease.facts);
      return { acquired: true, fencingToken: Number(response.header.revision) };
    }
    await revokeRawLease(ctx, raw.etcdId);
    const held = rangeAt(response, 0);
    return held ? { acquired: false, holder: await holderOf(ctx, held) } : { acquired: false };
  } catch (error) {
    await revokeRawLease(ctx, raw.etcdId).catch(() => undefined);
    throw error;
  }
}

/** Dapr Unlock: the holder's lease record must name `owner`; an implicit lease is revoked whole. */
export async function daprUnlock(
  ctx: EtcdContext,
  key: string,
  owner: string,
  app: LeaseApp,
): Promise<UnlockStatus> {
  const response = await ctx.conn.range('daprUnlock', { key: ctx.keys.lock(key) });
  const held = response.kvs[0];
  if (!held) return UnlockStatus.LOCK_DOES_NOT_EXIST;
  const value = decodeLock(held);
  // A lock of another app is someone else's, whatever its owner string says.
  if (app !== undefined && value.app !== undefined && value.app !== app) {
    return UnlockStatus.LOCK_BELONGS_TO_OTHERS;
  }
  const lease = await ctx.leases.find(value.leaseId);
  if (!lease || lease.owner !== owner) return UnlockStatus.LOCK_BELONGS_TO_OTHERS;
  // The implicit lease holds nothing else, so revoking it is the unlock; otherwise release this grant only.
  const done = lease.implicit
    ? await revoke(ctx, lease)
    : await releaseGrant(ctx, key, tokenOf(held), value.app);
  return done ? UnlockStatus.SUCCESS : UnlockStatus.LOCK_DOES_NOT_EXIST;
}
