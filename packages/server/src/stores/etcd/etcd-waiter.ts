import { randomUUID } from 'node:crypto';
import { LeaseholdError } from '@leasehold/core';
import type { AcquireResult } from '@leasehold/core';
import type { IEvent } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import { prefixEnd } from './etcd-keys.js';
import type { EtcdContext } from './etcd-leases.js';
import { leaseNotFound } from './etcd-leases.js';
import { decodeLock, lockValue, releaseGrant, tokenOf } from './etcd-locks.js';
import type { WatchMux } from './watch-mux.js';

/** What a queued acquire needs. */
export interface WaitRequest {
  readonly key: string;
  readonly leaseId: string;
  readonly waitMs: number;
  readonly maxHoldMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

type StopReason = 'timeout' | 'abort' | 'closed';

/** A latch a waiter sleeps on: a wake before the sleep is not lost. */
export class WaiterGate {
  stopped: StopReason | undefined;
  leaseGone = false;
  private pending = false;
  private resolve: (() => void) | undefined;

  /** Wakes the waiter to look again. */
  wake(): void {
    this.pending = true;
    this.resolve?.();
  }

  /** Ends the wait for `reason` (the first reason wins). */
  stop(reason: StopReason): void {
    this.stopped ??= reason;
    this.wake();
  }

  /** Sleeps until the next wake. */
  async sleep(): Promise<void> {
    if (!this.pending) await new Promise<void>((resolve) => (this.resolve = resolve));
    this.pending = false;
    this.resolve = undefined;
  }
}

const isDelete = (event: IEvent): boolean => String(event.type).toUpperCase() === 'DELETE';

/**
 * etcd's fair lock recipe: the waiter writes a queue key on its own lease (its create revision is its
 * turn), watches only its predecessor's queue key, and when it is head watches the lock key and takes
 * the lock in a transaction that also deletes its queue key. Its own queue key vanishing means its
 * lease ended. Timeout, abort and close delete the queue key, so a quitter is never granted.
 */
export async function waitForLock(
  ctx: EtcdContext,
  mux: WatchMux,
  gate: WaiterGate,
  req: WaitRequest,
): Promise<AcquireResult> {
  const queue = ctx.keys.queue(req.key);
  const entry = ctx.keys.queueEntry(req.key, randomUUID());
  const queued = await ctx.conn.txn(
    'acquire',
    [compare.version(ctx.keys.lease(req.leaseId), '>', 0)],
    [request.put(entry, req.leaseId, req.leaseId)],
  );
  if (!queued.succeeded) throw leaseNotFound(req.leaseId);
  const turn = Number(queued.header.revision);
  const stopOwnWatch = mux.watch({
    key: entry,
    startRevision: turn + 1,
    onEvents: (events) => {
      if (events.some(isDelete)) {
        gate.leaseGone = true;
        gate.wake();
      }
    },
  });
  const timer = setTimeout(() => gate.stop('timeout'), req.waitMs);
  timer.unref();
  const onAbort = (): void => gate.stop('abort');
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const granted = await takeInTurn(ctx, mux, gate, req, { queue, entry, turn });
    if (granted) return granted;
    return await leaveQueue(ctx, gate, req.leaseId, entry, turn);
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
    stopOwnWatch();
  }
}

interface Place {
  readonly queue: Buffer;
  readonly entry: Buffer;
  readonly turn: number;
}

async function takeInTurn(
  ctx: EtcdContext,
  mux: WatchMux,
  gate: WaiterGate,
  req: WaitRequest,
  place: Place,
): Promise<AcquireResult | undefined> {
  const lockKey = ctx.keys.lock(req.key);
  while (!gate.stopped && !gate.leaseGone) {
    const before = await ctx.conn.range('acquire', {
      key: place.queue,
      range_end: prefixEnd(place.queue),
      max_create_revision: place.turn - 1,
      sort_order: 2, // descend
      sort_target: 2, // by create revision: the nearest earlier waiter
      limit: 1,
      keys_only: true,
    });
    const predecessor = before.kvs[0];
    if (predecessor) {
      await sleepUntilDeleted(mux, gate, predecessor.key, Number(before.header.revision) + 1);
      continue;
    }
    const taken = await ctx.conn.txn(
      'acquire',
      [compare.created(place.entry, '=', place.turn), compare.created(lockKey, '=', 0)],
      [request.put(lockKey, lockValue(req.leaseId, req.maxHoldMs), req.leaseId), request.delete(place.entry)],
      [request.get(lockKey), request.get(place.entry, { keys_only: true })],
    );
    if (taken.succeeded) return { acquired: true, fencingToken: Number(taken.header.revision) };
    if (!rangeAt(taken, 1)) {
      gate.leaseGone = true;
      break;
    }
    const held = rangeAt(taken, 0);
    if (!held) continue;
    await sleepWhileHeld(ctx, mux, gate, req.key, held, Number(taken.header.revision) + 1);
  }
  return undefined;
}

async function sleepUntilDeleted(mux: WatchMux, gate: WaiterGate, key: Buffer, from: number): Promise<void> {
  const stop = mux.watch({
    key,
    startRevision: from,
    onEvents: (events) => {
      if (events.some(isDelete)) gate.wake();
    },
  });
  try {
    await gate.sleep();
  } finally {
    stop();
  }
}

/** The head waiter also enforces a stored hold deadline, in case the granting server is gone. */
async function sleepWhileHeld(
  ctx: EtcdContext,
  mux: WatchMux,
  gate: WaiterGate,
  key: string,
  held: Parameters<typeof tokenOf>[0],
  from: number,
): Promise<void> {
  const { holdUntil } = decodeLock(held);
  let holdTimer: NodeJS.Timeout | undefined;
  if (holdUntil !== undefined) {
    holdTimer = setTimeout(
      () =>
        void releaseGrant(ctx, key, tokenOf(held)).then(
          () => gate.wake(),
          () => gate.wake(),
        ),
      Math.max(0, holdUntil - Date.now()),
    );
    holdTimer.unref();
  }
  try {
    await sleepUntilDeleted(mux, gate, held.key, from);
  } finally {
    clearTimeout(holdTimer);
  }
}

/** Deletes the queue key unless it is already gone; a vanished key means the lease ended. */
async function leaveQueue(
  ctx: EtcdContext,
  gate: WaiterGate,
  leaseId: string,
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
  if (!left.succeeded) throw leaseNotFound(leaseId);
  return { acquired: false };
}
