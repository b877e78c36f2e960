import { LeaseholdError, atDeadline, invalidArgument } from '@leasehold/core';
import type { PermitAcquireResult } from '@leasehold/core';
import type { IEvent, IKeyValue } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { position } from './etcd-position.js';
import { leaseGuard, leaseNotFound } from './lease-guard.js';
import type { PoolMeta, PoolState } from './pool-state.js';
import {
  decodeHolder,
  holderToken,
  holderValue,
  limitInForce,
  readPool,
  releaseHolder,
  usedOf,
} from './pool-state.js';
import type { WaiterGate } from './waiter-gate.js';

/** A permit acquire as the store runs it: the lease already resolved. */
export interface PermitRequest {
  readonly key: string;
  readonly lease: LeaseRef;
  readonly limit: number | undefined;
  readonly permits: number;
  readonly maxHoldMs: number | undefined;
}

/** What one look at the pool allows: the grant held already, a grant to try, or waiting. */
type Step =
  | { readonly kind: 'held'; readonly result: PermitAcquireResult }
  | { readonly kind: 'grant'; readonly limit: number; readonly turn: number | undefined }
  | {
      readonly kind: 'full';
      readonly limit: number;
      readonly turn: number | undefined;
      readonly predecessor: Buffer | undefined;
      readonly available: number;
      readonly waiters: number;
    };

/**
 * Takes permits, waiting (with a gate) in the pool's queue. Each round reads the pool in one
 * revision and then either grants in one transaction (meta unchanged since the read, lease alive,
 * nobody earlier queued), joins the queue (a key on the lease; its create revision is the turn), or
 * sleeps on one watch: the head on the pool, any other waiter on its predecessor's queue key. A
 * failed grant transaction only means something changed: the next round looks again.
 */
export async function acquirePermits(
  ctx: EtcdContext,
  req: PermitRequest,
  gate?: WaiterGate,
): Promise<PermitAcquireResult> {
  const entry = ctx.keys.poolQueueEntry(req.key, req.lease.id);
  let known = req.limit;
  let queued = false;
  try {
    for (;;) {
      const state = await readPool(ctx, req.key, req.lease);
      const step = decide(state, req, entry, known);
      if (step.kind === 'held') {
        if (queued) await ctx.conn.txn('semaphoreAcquire', [], [request.delete(entry)]);
        return step.result;
      }
      known = step.limit;
      if (step.kind === 'grant') {
        const granted = await grant(ctx, req, state, step.limit, step.turn);
        if (granted) return granted;
      } else if (!gate || gate.stopped) {
        return await giveUp(ctx, gate, step, entry);
      } else if (step.turn === undefined) {
        queued = true;
        await enqueue(ctx, req.key, req.lease, entry);
      } else {
        await sleepForTurn(ctx, gate, req.key, state, step.predecessor, entry);
      }
    }
  } catch (error) {
    // Never leave a queue key nobody waits on (the answer of our own write may have been lost).
    if (queued) await ctx.conn.txn('semaphoreAcquire', [], [request.delete(entry)]).catch(() => undefined);
    throw error;
  }
}

function decide(state: PoolState, req: PermitRequest, entry: Buffer, known: number | undefined): Step {
  if (state.leaseAlive === false) throw leaseNotFound(req.lease.id);
  const index = state.queue.findIndex((kv) => kv.key.equals(entry));
  const limit = limitFor(req, limitInForce(state), index >= 0 ? known : undefined, index >= 0);
  const own = state.holders.find((kv) => decodeHolder(kv).leaseId === req.lease.id);
  if (own) {
    const result = {
      acquired: true,
      fencingToken: holderToken(own),
      permits: decodeHolder(own).permits,
    } as const;
    return { kind: 'held', result };
  }
  const turn = index >= 0 ? Number(state.queue[index]!.create_revision) : undefined;
  const ahead = index >= 0 ? state.queue.slice(0, index) : state.queue;
  const used = usedOf(state);
  if (ahead.length === 0 && used + req.permits <= limit) return { kind: 'grant', limit, turn };
  const available = Math.max(0, limit - used);
  return { kind: 'full', limit, turn, predecessor: ahead.at(-1)?.key, available, waiters: ahead.length };
}

/** The limit to grant under: the one in force, else the caller's (creating the pool). */
function limitFor(
  req: PermitRequest,
  inForce: number | undefined,
  known: number | undefined,
  queued: boolean,
) {
  if (inForce === undefined) {
    const limit = req.limit ?? known;
    if (limit === undefined) {
      throw new LeaseholdError('NOT_FOUND', 'name: no such semaphore; pass limit to create it', {
        field: 'name',
      });
    }
    return limit;
  }
  if (req.limit !== undefined && req.limit !== inForce) throw limitMismatch('limit', inForce, req.limit);
  if (req.permits > inForce) {
    // Queued under a higher limit that was lowered since: the request can never fit.
    if (queued) throw limitMismatch('permits', inForce, req.permits);
    throw invalidArgument('permits', `must be at most the limit ${inForce}, got ${req.permits}`);
  }
  return inForce;
}

function limitMismatch(field: string, inForce: number, given: number): LeaseholdError {
  return new LeaseholdError('LIMIT_MISMATCH', `${field}: ${given} given, but its limit is ${inForce}`, {
    field,
  });
}

/** One transaction: holder (token = its position), own queue key gone, meta put (the CAS every grant bumps). */
async function grant(
  ctx: EtcdContext,
  req: PermitRequest,
  state: PoolState,
  limit: number,
  turn: number | undefined,
): Promise<PermitAcquireResult | undefined> {
  const { keys } = ctx;
  const holder = keys.poolHolder(req.key, req.lease.id);
  const queue = keys.poolQueue(req.key);
  const entry = keys.poolQueueEntry(req.key, req.lease.id);
  const meta: PoolMeta = { kind: 'semaphore', limit, ...(state.meta?.explicit ? { explicit: true } : {}) };
  const compares = [
    compare.modified(keys.poolMeta(req.key), '=', state.metaMod),
    leaseGuard(ctx, req.lease),
    compare.created(holder, '=', 0),
    ...(turn === undefined
      ? [compare.created(queue, '=', 0, prefixEnd(queue))]
      : [compare.created(entry, '=', turn), compare.created(queue, '>', turn - 1, prefixEnd(queue))]),
  ];
  const response = await ctx.conn.slotted('semaphoreAcquire', (slot) => ({
    compare: compares,
    success: [
      request.put(holder, holderValue(req.lease, req.permits, slot, req.maxHoldMs), req.lease.etcdId),
      request.put(keys.poolMeta(req.key), JSON.stringify(meta)),
      ...(state.meta ? [] : [request.put(keys.poolName(req.key), '')]),
      ...(turn === undefined ? [] : [request.delete(entry)]),
    ],
    failure: [],
  }));
  if (!response.succeeded) return undefined;
  return {
    acquired: true,
    fencingToken: position(response.header.revision, response.slot),
    permits: req.permits,
  };
}

/**
 * Joins the queue: a key on the lease, written once (a retried join keeps its turn). The count of the
 * queue folder is never used: it puts the folder in the transaction's footprint, so the batcher never
 * commits two joins of one pool together, and turns (create revisions) never tie.
 */
async function enqueue(ctx: EtcdContext, key: string, lease: LeaseRef, entry: Buffer): Promise<void> {
  const queue = ctx.keys.poolQueue(key);
  await ctx.conn.txn(
    'semaphoreAcquire',
    [leaseGuard(ctx, lease), compare.created(entry, '=', 0)],
    [request.put(entry, '', lease.etcdId)],
    [request.count(queue, prefixEnd(queue))],
  );
}

/** Leaves the queue (if in it) and reports what was free; UNAVAILABLE when the store is closing. */
async function giveUp(
  ctx: EtcdContext,
  gate: WaiterGate | undefined,
  step: Extract<Step, { kind: 'full' }>,
  entry: Buffer,
): Promise<PermitAcquireResult> {
  if (step.turn !== undefined) {
    const leave = ctx.conn.txn(
      'semaphoreAcquire',
      [compare.created(entry, '=', step.turn)],
      [request.delete(entry)],
    );
    await leave.catch((error: unknown) => {
      if (gate?.stopped !== 'closed') throw error;
    });
  }
  if (gate?.stopped === 'closed') throw new LeaseholdError('UNAVAILABLE', 'store is closing');
  return { acquired: false, available: step.available, waiters: step.waiters };
}

/**
 * Sleeps until something that may let this waiter on: a waiter behind others watches only its
 * predecessor's queue key (and its own, for its lease's end); the head watches the pool's holders
 * and meta, and enforces the holders' stored hold deadlines in case their granting server is gone.
 */
async function sleepForTurn(
  ctx: EtcdContext,
  gate: WaiterGate,
  key: string,
  state: PoolState,
  predecessor: Buffer | undefined,
  entry: Buffer,
): Promise<void> {
  const from = state.revision + 1;
  const wake = () => gate.wake();
  const stops = predecessor
    ? [watchDeletes(ctx, predecessor, from, wake), watchDeletes(ctx, entry, from, wake)]
    : [watchPool(ctx, key, from, wake), enforceHolds(ctx, key, state.holders, wake)];
  try {
    await gate.sleep();
  } finally {
    for (const stop of stops) stop();
  }
}

function watchDeletes(ctx: EtcdContext, key: Buffer, from: number, wake: () => void): () => void {
  return ctx.mux.watch({ key, startRevision: from, deletesOnly: true, onEvents: wake, onCancel: wake });
}

/** Every change of the pool but a newcomer joining the queue wakes the head. */
function watchPool(ctx: EtcdContext, key: string, from: number, wake: () => void): () => void {
  const folder = ctx.keys.pool(key);
  const queue = ctx.keys.poolQueue(key);
  const joined = (event: IEvent) =>
    String(event.type).toUpperCase() === 'PUT' && event.kv.key.subarray(0, queue.length).equals(queue);
  return ctx.mux.watch({
    key: folder,
    rangeEnd: prefixEnd(folder),
    startRevision: from,
    onEvents: (events) => {
      if (!events.every(joined)) wake();
    },
    onCancel: wake,
  });
}

/** Releases the holder whose stored hold deadline comes first, at that deadline. */
function enforceHolds(ctx: EtcdContext, key: string, holders: readonly IKeyValue[], wake: () => void) {
  let first: IKeyValue | undefined;
  for (const kv of holders) {
    const until = decodeHolder(kv).holdUntil;
    if (until !== undefined && until < (first ? decodeHolder(first).holdUntil! : Infinity)) first = kv;
  }
  if (!first) return () => undefined;
  const { holdUntil, leaseId } = decodeHolder(first);
  const token = holderToken(first);
  return atDeadline(holdUntil!, () => void releaseHolder(ctx, key, leaseId, token).then(wake, wake));
}
