import { atDeadline, LeaseholdError, waitFor } from '@leasehold/core';
import type { AcquireResult } from '@leasehold/core';
import type { IKeyValue } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { leaseGuardKey, leaseNotFound } from './lease-guard.js';
import { decodeLock, grantToken, grantWrites, releaseGrant, tokenOf } from './lock-value.js';
import type { Place, View } from './etcd-queue.js';
import { peek, takeOrEnqueue } from './etcd-queue.js';
import type { DeleteHub } from './delete-hub.js';
import type { WaiterGate } from './waiter-gate.js';

/** What a queued acquire needs. */
export interface WaitRequest {
  readonly key: string;
  readonly lease: LeaseRef;
  readonly waitMs: number;
  readonly maxHoldMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * etcd's fair lock recipe: the waiter writes a queue key on its own lease (its create revision is its
 * turn), watches only its predecessor's queue key, and when it is head watches the lock key and takes
 * the lock in a transaction that also deletes its queue key. Timeout, abort and close delete the queue
 * key, so a quitter is never granted. The queue key is named after the lease (as in etcd's recipe): a
 * client that retries through another server after its first server died takes over the stranded key
 * and its place in line, instead of queueing behind it.
 */
export async function waitForLock(
  ctx: EtcdContext,
  hub: DeleteHub,
  gate: WaiterGate,
  req: WaitRequest,
): Promise<AcquireResult> {
  const entry = ctx.keys.queueEntry(req.key, req.lease.id);
  // The loop below is the waiter; this only turns its deadline and abort into a stop.
  const stopper = waitFor<void>({
    waitMs: req.waitMs,
    signal: req.signal,
    onGiveUp: (why) => gate.stop(why),
  });
  try {
    while (!gate.stopped) {
      const first = await takeOrEnqueue(ctx, req, entry).catch(async (error: unknown) => {
        // The answer was lost, not necessarily the write: never leave a queue key nobody waits on.
        await ctx.conn.txn('acquire', [], [request.delete(entry)]).catch(() => undefined);
        throw error;
      });
      if ('acquired' in first) return first;
      const granted = await waitInLine(ctx, hub, gate, req, { entry, turn: first.turn }, first.view);
      if (granted) return granted;
      if (gate.stopped) return await leaveQueue(ctx, gate, req, entry, first.turn);
      // Our queue key vanished under us: the lease ended, or a twin wait on the same lease left.
      const gone = await afterEntryGone(ctx, req);
      if (gone) return gone;
    }
    return { acquired: false };
  } finally {
    stopper.settle();
  }
}

async function waitInLine(
  ctx: EtcdContext,
  hub: DeleteHub,
  gate: WaiterGate,
  req: WaitRequest,
  place: Place,
  view: View,
): Promise<AcquireResult | undefined> {
  gate.entryGone = false;
  const stopOwnWatch = hub.onDelete(place.entry, place.turn + 1, () => {
    gate.entryGone = true;
    gate.wake();
  });
  try {
    return await takeInTurn(ctx, hub, gate, req, place, view);
  } finally {
    stopOwnWatch();
  }
}

/** After our queue key vanished: the grant if we hold the lock, LEASE_NOT_FOUND, or undefined to rejoin. */
async function afterEntryGone(ctx: EtcdContext, req: WaitRequest): Promise<AcquireResult | undefined> {
  const response = await ctx.conn.txn(
    'acquire',
    [],
    [request.get(leaseGuardKey(ctx, req.lease), { keys_only: true }), request.get(ctx.keys.lock(req.key))],
  );
  const lock = rangeAt(response, 1);
  if (lock?.lease === req.lease.etcdId) return { acquired: true, fencingToken: tokenOf(lock) };
  if (!rangeAt(response, 0)) throw leaseNotFound(req.lease.id);
  return undefined;
}

async function takeInTurn(
  ctx: EtcdContext,
  hub: DeleteHub,
  gate: WaiterGate,
  req: WaitRequest,
  place: Place,
  initial: View,
): Promise<AcquireResult | undefined> {
  const lockKey = ctx.keys.lock(req.key);
  let view = initial;
  while (!gate.stopped && !gate.entryGone) {
    if (view.predecessor) {
      await sleepUntilDeleted(hub, gate, view.predecessor, view.revision + 1);
      view = await peek(ctx, req.key, place);
      continue;
    }
    if (view.lock) {
      // Head of the queue: only the lock's release can make it ours, and no one can jump ahead.
      await sleepWhileHeld(ctx, hub, gate, req.key, view.lock, view.revision + 1);
      if (gate.stopped || gate.entryGone) break;
    }
    const taken = await ctx.conn.slotted('acquire', (slot) => ({
      compare: [compare.created(place.entry, '=', place.turn), compare.created(lockKey, '=', 0)],
      success: [...grantWrites(ctx, req.key, req.lease, req.maxHoldMs, slot), request.delete(place.entry)],
      failure: [request.get(lockKey), request.get(place.entry, { keys_only: true })],
    }));
    if (taken.succeeded)
      return { acquired: true, fencingToken: grantToken(taken.header.revision, taken.slot) };
    const lock = rangeAt(taken, 0);
    if (!rangeAt(taken, 1)) {
      // Our key is gone: a retried take whose first attempt won, or the lease ended (sorted out above).
      gate.entryGone = true;
      break;
    }
    view = { revision: Number(taken.header.revision), predecessor: undefined, lock };
  }
  return undefined;
}

async function sleepUntilDeleted(hub: DeleteHub, gate: WaiterGate, key: Buffer, from: number): Promise<void> {
  const stop = hub.onDelete(key, from, () => gate.wake());
  try {
    await gate.sleep();
  } finally {
    stop();
  }
}

/** The head waiter also enforces a stored hold deadline, in case the granting server is gone. */
async function sleepWhileHeld(
  ctx: EtcdContext,
  hub: DeleteHub,
  gate: WaiterGate,
  key: string,
  held: IKeyValue,
  from: number,
): Promise<void> {
  const { holdUntil, app } = decodeLock(held);
  const wake = () => gate.wake();
  const stopHold =
    holdUntil === undefined
      ? undefined
      : atDeadline(holdUntil, () => void releaseGrant(ctx, key, tokenOf(held), app).then(wake, wake));
  try {
    await sleepUntilDeleted(hub, gate, held.key, from);
  } finally {
    stopHold?.();
  }
}

/** Deletes the queue key unless it is already gone, then reports the wait as unacquired. */
async function leaveQueue(
  ctx: EtcdContext,
  gate: WaiterGate,
  req: WaitRequest,
  entry: Buffer,
  turn: number,
): Promise<AcquireResult> {
  const leave = ctx.conn.txn('acquire', [compare.created(entry, '=', turn)], [request.delete(entry)]);
  if (gate.stopped === 'closed') {
    // Still leave, so waiters behind this one on other servers are not stuck behind a ghost.
    await leave.catch(() => undefined);
    throw new LeaseholdError('UNAVAILABLE', 'store is closing');
  }
  const left = await leave;
  // Our own delete also shows up on the own-key watch, so only the transaction tells who deleted it.
  if (left.succeeded) return { acquired: false };
  return (await afterEntryGone(ctx, req)) ?? { acquired: false };
}
