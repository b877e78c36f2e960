import type { StoreStats } from '@leasehold/core';
import { countAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';

/**
 * The store's live leases, held locks, queued waiters and semaphores, for metrics: four
 * count-only ranges over the record folders in one transaction, so etcd sends counts, never keys.
 * Records live on their leases, so an expiry needs no bookkeeping here either. Permits held and
 * pool waiters live in one folder per pool, so no single range counts them: they are left out.
 */
export async function stats(ctx: EtcdContext): Promise<StoreStats> {
  const { keys } = ctx;
  // A pool's name key is `m/<store key>`, and semaphore store keys all start `sem||`.
  const folders = [keys.leaseRecords(''), keys.lock(''), keys.queueRoot(), keys.poolName('sem||')];
  const response = await ctx.conn.txn(
    'stats',
    [],
    folders.map((folder) => request.count(folder, prefixEnd(folder))),
  );
  return {
    leases: countAt(response, 0),
    locks: countAt(response, 1),
    waiters: countAt(response, 2),
    semaphores: countAt(response, 3),
  };
}
