import type { LeaseApp } from '@leasehold/core';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { revokeEtcdLease } from './leases.js';
import { encodeLease } from './lease-record.js';
import { releaseWrites } from './lock-value.js';

/**
 * Dapr's Unlock of an implicit lease in one Raft write on the reply's path: one transaction marks the
 * record `revoking` (so its later deletion is no `lease.expired`), deletes the app's index entry (the
 * lease guard, so nothing can use the lease any more) and, while this lease still holds it, the lock.
 * The etcd lease itself is revoked after the reply; should that fail, it ends at its TTL, holding
 * nothing but the marked record. Before, the mark and the revoke were two writes in a row. With
 * `onlyIfHeld` it writes nothing unless this lease holds the lock (Unlock from a remembered grant).
 */
export async function releaseAndRevoke(
  ctx: EtcdContext,
  key: string,
  leaseId: string,
  app: LeaseApp,
  onlyIfHeld = false,
): Promise<boolean> {
  const facts = await ctx.leases.find(leaseId);
  if (!facts || (app !== undefined && facts.app !== app)) return false;
  const { id, etcdId, ...record } = facts;
  const recordKey = ctx.keys.lease(id);
  const lockKey = ctx.keys.lock(key);
  const response = await ctx.conn.txn(
    'revokeLease',
    [compare.version(recordKey, '>', 0), ...(onlyIfHeld ? [compare.lease(lockKey, '=', etcdId)] : [])],
    [
      request.put(recordKey, encodeLease({ ...record, revoking: true }), etcdId),
      ...(facts.app === undefined ? [] : [request.delete(ctx.keys.appLease(facts.app, id))]),
      {
        request_txn: {
          compare: [compare.lease(lockKey, '=', etcdId)],
          success: releaseWrites(ctx, key, facts.app),
        },
      },
    ],
  );
  if (!response.succeeded) return false;
  void revokeEtcdLease(ctx, etcdId).catch(() => undefined);
  return true;
}
