/** Joining a lock's queue and looking at it: the transactions of the etcd fair-lock recipe. */
import type { AcquireResult } from '@leasehold/core';
import type { IKeyValue } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import { prefixEnd } from './etcd-keys.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { leaseGuard, leaseNotFound } from './lease-guard.js';
import { grantToken, grantWrites, tokenOf } from './lock-value.js';

/** What joining needs to know about the acquire. */
export interface JoinRequest {
  readonly key: string;
  readonly lease: LeaseRef;
  readonly maxHoldMs: number | undefined;
}

/** What a waiter saw at `revision`: the nearest earlier waiter, and the lock. */
export interface View {
  readonly revision: number;
  readonly predecessor: Buffer | undefined;
  readonly lock: IKeyValue | undefined;
}

/** A waiter's queue key and its turn (the key's create revision). */
export interface Place {
  readonly entry: Buffer;
  readonly turn: number;
}

/**
 * One round trip: take the lock if it is free and nobody queues; otherwise (nested transaction) join
 * the queue, reading in the same revision the lock and the two newest queue keys (ours, and the one
 * before it). A lease that is gone (or another app's) fails both branches.
 */
export async function takeOrEnqueue(
  ctx: EtcdContext,
  req: JoinRequest,
  entry: Buffer,
): Promise<AcquireResult | { turn: number; view: View }> {
  const lockKey = ctx.keys.lock(req.key);
  const queue = ctx.keys.queue(req.key);
  const response = await ctx.conn.slotted('acquire', (slot) => ({
    compare: [
      leaseGuard(ctx, req.lease),
      compare.created(lockKey, '=', 0),
      compare.created(queue, '=', 0, prefixEnd(queue)),
    ],
    success: grantWrites(ctx, req.key, req.lease, req.maxHoldMs, slot),
    failure: [
      {
        request_txn: {
          compare: [leaseGuard(ctx, req.lease)],
          success: [
            request.put(entry, req.lease.id, req.lease.etcdId),
            request.get(lockKey),
            request.get(queue, {
              range_end: prefixEnd(queue),
              sort_order: 2, // descend
              sort_target: 2, // by create revision
              limit: 2,
              keys_only: true,
            }),
            request.get(entry, { keys_only: true }),
          ],
        },
      },
    ],
  }));
  const revision = Number(response.header.revision);
  if (response.succeeded) return { acquired: true, fencingToken: grantToken(revision, response.slot) };
  const nested = response.responses[0]?.response_txn;
  if (!nested?.succeeded) throw leaseNotFound(req.lease.id);
  const lock = rangeAt(nested, 1);
  if (lock?.lease === req.lease.etcdId) {
    // Re-acquiring a lock this lease already holds: leave the queue again, keep the grant.
    await ctx.conn.txn('acquire', [], [request.delete(entry)]);
    return { acquired: true, fencingToken: tokenOf(lock) };
  }
  const [newest, before] = nested.responses[2]?.response_range.kvs ?? [];
  if (newest?.key.equals(entry) && Number(newest.create_revision) === revision) {
    return { turn: revision, view: { revision, predecessor: before?.key, lock } };
  }
  // The client retried a transaction whose first answer was lost: our key was written earlier,
  // so its create revision is our turn, and who is before us needs a fresh look.
  const place = { entry, turn: Number(rangeAt(nested, 3)?.create_revision ?? revision) };
  return { turn: place.turn, view: await peek(ctx, req.key, place) };
}

/** A read-only look (no Raft write) at the nearest earlier waiter and the lock. */
export async function peek(ctx: EtcdContext, key: string, place: Place): Promise<View> {
  const queue = ctx.keys.queue(key);
  const response = await ctx.conn.txn(
    'acquire',
    [],
    [
      request.get(queue, {
        range_end: prefixEnd(queue),
        max_create_revision: place.turn - 1,
        sort_order: 2, // descend
        sort_target: 2, // by create revision: the nearest earlier waiter
        limit: 1,
        keys_only: true,
      }),
      request.get(ctx.keys.lock(key)),
    ],
  );
  return {
    revision: Number(response.header.revision),
    predecessor: rangeAt(response, 0)?.key,
    lock: rangeAt(response, 1),
  };
}
