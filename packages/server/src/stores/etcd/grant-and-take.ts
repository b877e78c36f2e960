import type { AcquireResult, GrantOptions } from '@leasehold/core';
import { compare } from './etcd-connection.js';
import type { DaprGrants } from './dapr-grants.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import { grantEtcdLease, recordWrites, revokeEtcdLease } from './leases.js';
import { grantToken, grantWrites } from './lock-value.js';

/**
 * A Dapr TryLock in two Raft writes: the etcd lease, then one transaction that takes the free lock
 * (nobody queued) and writes the lease's record with it. Before, the record had a transaction of its
 * own, and a lease that missed the lock was marked and revoked; here a miss wrote nothing but the
 * bare etcd lease, which is revoked (no key was ever on it, so no watcher saw it). A grant with an
 * owner goes into `grants`, so its Unlock needs no read first.
 */
export async function grantAndTake(
  ctx: EtcdContext,
  grant: GrantOptions,
  key: string,
  grants: DaprGrants,
): Promise<AcquireResult> {
  const facts = await grantEtcdLease(ctx, grant);
  const lease = { id: facts.id, etcdId: facts.etcdId, app: facts.app };
  const lockKey = ctx.keys.lock(key);
  const queue = ctx.keys.queue(key);
  let response;
  try {
    response = await ctx.conn.slotted('acquire', (slot) => ({
      compare: [compare.created(lockKey, '=', 0), compare.created(queue, '=', 0, prefixEnd(queue))],
      success: [...recordWrites(ctx, facts), ...grantWrites(ctx, key, lease, undefined, slot)],
      failure: [],
    }));
  } catch (error) {
    await revokeEtcdLease(ctx, facts.etcdId).catch(() => undefined);
    throw error;
  }
  if (!response.succeeded) {
    await revokeEtcdLease(ctx, facts.etcdId);
    return { acquired: false };
  }
  ctx.leases.remember(facts);
  if (grant.owner !== undefined)
    grants.remember(key, { leaseId: facts.id, owner: grant.owner, app: facts.app });
  return { acquired: true, fencingToken: grantToken(response.header.revision, response.slot) };
}
