/** How a multi-lock sees its keys on etcd: each lock, its queue, and the lease, read in few round trips. */
import type { AcquireAllResult, LockHolder } from '@leasehold/core';
import type { IKeyValue, IRequestOp } from 'etcd3';
import { rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { leaseGuardKey } from './lease-guard.js';
import { holderOf } from './lock-value.js';

/** A multi-lock as the store runs it: keys deduplicated, the lease resolved. */
export interface MultiRequest {
  readonly keys: readonly string[];
  readonly lease: LeaseRef;
  readonly maxHoldMs: number | undefined;
}

/** An answer, and the keys its grant took (the caller arms their hold timers). */
export interface MultiOutcome {
  readonly result: AcquireAllResult;
  readonly taken: readonly string[];
}

/** Keys per read transaction: three reads a key stay within etcd's 128 ops a transaction. */
const KEYS_PER_READ = 40;

/** One key as a look saw it. */
export interface KeyView {
  readonly key: string;
  /** The revision of the read that saw it: watches for a change start after it. */
  readonly revision: number;
  readonly lock: IKeyValue | undefined;
  /** Waiters queued (a look with no turn), or 0. */
  readonly waiters: number;
  /** For a queued look: the nearest earlier waiter's queue key, if any. */
  readonly predecessor: Buffer | undefined;
  /** For a queued look: whether the own queue key is still there. */
  readonly queued: boolean;
}

/** A look at every key, and whether the lease is alive and the caller's. */
export interface MultiView {
  readonly leaseAlive: boolean;
  readonly keys: readonly KeyView[];
}

/**
 * Reads the keys in transactions of KEYS_PER_READ (each one revision). Without `turn` a key's queue
 * is counted; with it, the look finds the nearest waiter before `turn` and the lease's own queue key.
 * Reads at different revisions are enough: a waiter seen gone never comes back before `turn`, and the
 * grant compares every lock in its own transaction.
 */
export async function lookAt(
  ctx: EtcdContext,
  keys: readonly string[],
  lease: LeaseRef,
  turn?: number,
): Promise<MultiView> {
  let leaseAlive = true;
  const views: KeyView[] = [];
  for (let at = 0; at < keys.length; at += KEYS_PER_READ) {
    const chunk = keys.slice(at, at + KEYS_PER_READ);
    const reads = [request.get(leaseGuardKey(ctx, lease), { keys_only: true })];
    for (const key of chunk) reads.push(...keyReads(ctx, key, lease, turn));
    const response = await ctx.conn.txn('acquireAll', [], reads);
    if (!rangeAt(response, 0)) leaseAlive = false;
    const revision = Number(response.header.revision);
    chunk.forEach((key, i) => {
      const base = 1 + i * (turn === undefined ? 2 : 3);
      const queue = response.responses[base + 1]?.response_range;
      views.push({
        key,
        revision,
        lock: rangeAt(response, base),
        waiters: turn === undefined ? Number(queue?.count ?? 0) : 0,
        predecessor: turn === undefined ? undefined : queue?.kvs[0]?.key,
        queued: turn !== undefined && rangeAt(response, base + 2) !== undefined,
      });
    });
  }
  return { leaseAlive, keys: views };
}

function keyReads(ctx: EtcdContext, key: string, lease: LeaseRef, turn: number | undefined): IRequestOp[] {
  const queue = ctx.keys.queue(key);
  if (turn === undefined) return [request.get(ctx.keys.lock(key)), request.count(queue, prefixEnd(queue))];
  return [
    request.get(ctx.keys.lock(key)),
    request.get(queue, {
      range_end: prefixEnd(queue),
      max_create_revision: turn - 1,
      sort_order: 2, // descend
      sort_target: 2, // by create revision: the nearest earlier waiter
      limit: 1,
      keys_only: true,
    }),
    request.get(ctx.keys.queueEntry(key, lease.id), { keys_only: true }),
  ];
}

/** True when the lease holds the key's lock. */
export function heldBy(view: KeyView, lease: LeaseRef): boolean {
  return view.lock?.lease === lease.etcdId;
}

/** The holders of the keys held by other leases, as a refusal names them. */
export async function holdersOf(
  ctx: EtcdContext,
  views: readonly KeyView[],
  lease: LeaseRef,
): Promise<Record<string, LockHolder>> {
  const holders: Record<string, LockHolder> = {};
  for (const view of views) {
    if (view.lock && !heldBy(view, lease)) holders[view.key] = await holderOf(ctx, view.lock);
  }
  return holders;
}
