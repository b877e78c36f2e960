/** The transactions that grant a multi-lock on etcd: every key in one, or none. */
import type { AcquireAllResult } from '@leasehold/core';
import type { ICompare } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import { leaseGuard } from './lease-guard.js';
import { grantToken, grantWrites, tokenOf } from './lock-value.js';
import type { MultiRequest, MultiView } from './multi-view.js';
import { MAX_TXN_OPS, packWrites } from './txn-footprint.js';

/**
 * The compares of a grant that nobody queued before: the lease, each new key free with an empty queue,
 * each key held before still held by the lease. Undefined when they are more than etcd takes in one
 * transaction (64 new keys: 129); such a try goes through the queues instead.
 */
export function tryCompares(ctx: EtcdContext, req: MultiRequest, fresh: readonly string[]) {
  const compares = [leaseGuard(ctx, req.lease), ...heldCompares(ctx, req, fresh)];
  for (const key of fresh) {
    const queue = ctx.keys.queue(key);
    compares.push(
      compare.created(ctx.keys.lock(key), '=', 0),
      compare.created(queue, '=', 0, prefixEnd(queue)),
    );
  }
  return compares.length <= MAX_TXN_OPS ? compares : undefined;
}

function heldCompares(ctx: EtcdContext, req: MultiRequest, fresh: readonly string[]): ICompare[] {
  const held = req.keys.filter((key) => !fresh.includes(key));
  return held.map((key) => compare.lease(ctx.keys.lock(key), '=', req.lease.etcdId));
}

/**
 * One transaction: every new key's lock (and the app's index entry) on the lease, and the queue keys
 * of a waiter deleted; one revision and one slot, so one token for the new keys. Keys held before keep
 * their tokens. Undefined when a compare failed (something changed: look again).
 */
export async function grantAll(
  ctx: EtcdContext,
  req: MultiRequest,
  fresh: readonly string[],
  view: MultiView,
  compares: readonly ICompare[],
  entries: readonly Buffer[] = [],
): Promise<AcquireAllResult | undefined> {
  const response = await ctx.conn.slotted('acquireAll', (slot) => ({
    compare: [...compares],
    success: packWrites(compares.length, [
      ...fresh.flatMap((key) => grantWrites(ctx, key, req.lease, req.maxHoldMs, slot)),
      ...entries.map((entry) => request.delete(entry)),
    ]),
    failure: [],
  }));
  if (!response.succeeded) return undefined;
  const token = grantToken(response.header.revision, response.slot);
  const fencingTokens: Record<string, number> = {};
  for (const k of view.keys) fencingTokens[k.key] = fresh.includes(k.key) ? token : tokenOf(k.lock!);
  return { acquired: true, fencingTokens };
}

/** A queued waiter's take: the lease, each new key free (it heads every queue), each held key still held. */
export function takeAll(
  ctx: EtcdContext,
  req: MultiRequest,
  fresh: readonly string[],
  view: MultiView,
  entries: readonly Buffer[],
): Promise<AcquireAllResult | undefined> {
  const compares = [
    leaseGuard(ctx, req.lease),
    ...heldCompares(ctx, req, fresh),
    ...fresh.map((key) => compare.created(ctx.keys.lock(key), '=', 0)),
  ];
  return grantAll(ctx, req, fresh, view, compares, entries);
}
