import { LeaseholdError, invalidArgument } from '@leasehold/core';
import type { PermitAcquireResult } from '@leasehold/core';
import type { IKeyValue } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { leaseGuard, leaseNotFound } from './lease-guard.js';
import { commitGrants, downgrade, headRun, metaSwap } from './pool-grants.js';
import type { GrantSpec } from './pool-grants.js';
import type { PoolKind, PoolState, QueueValue } from './pool-state.js';
import { decodeHolder, holderToken, limitInForce, readPool, usedOf } from './pool-state.js';
import { sleepForTurn } from './pool-sleep.js';
import type { WaiterGate } from './waiter-gate.js';

/** A permit acquire as the store runs it: the lease already resolved. */
export interface PermitRequest {
  readonly key: string;
  readonly lease: LeaseRef;
  readonly limit: number | undefined;
  readonly permits: number;
  readonly maxHoldMs: number | undefined;
  /** The pool's kind if this acquire makes it; a read/write lock's grant may downgrade. */
  readonly kind: PoolKind;
}

/** A grant (or refusal), and how long this server's hold timer gives it when it set none itself. */
export interface PermitOutcome {
  readonly result: PermitAcquireResult;
  readonly holdMs?: number | undefined;
}

/** What one look at the pool allows: the grant held already, a grant to try, a downgrade, or waiting. */
type Step =
  | { readonly kind: 'held'; readonly result: PermitAcquireResult }
  | { readonly kind: 'grant'; readonly limit: number; readonly turn: number | undefined }
  | { readonly kind: 'downgrade'; readonly limit: number; readonly write: IKeyValue }
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
 * step that frees permits may grant this waiter meanwhile (its queue key goes): the next look finds
 * the grant. A failed grant transaction only means something changed: the next round looks again.
 */
export async function acquirePermits(
  ctx: EtcdContext,
  req: PermitRequest,
  gate?: WaiterGate,
): Promise<PermitOutcome> {
  const entry = ctx.keys.poolQueueEntry(req.key, req.lease.id);
  let known = req.limit;
  let queued = false;
  try {
    for (;;) {
      const state = await readPool(ctx, req.key, req.lease);
      const step = decide(state, req, entry, known, queued);
      if (step.kind === 'held') {
        if (queued) await ctx.conn.txn('semaphoreAcquire', [], [request.delete(entry)]);
        return { result: step.result };
      }
      known = step.limit;
      if (step.kind === 'downgrade') {
        const read = await downgrade(ctx, req.key, req.lease, state, step.write);
        if (read)
          return { result: { acquired: true, fencingToken: read.token, permits: 1 }, holdMs: read.holdMs };
      } else if (step.kind === 'grant') {
        const granted = await grant(ctx, req, state, step.limit, step.turn);
        if (granted) return { result: granted };
      } else if (!gate || gate.stopped) {
        return { result: await giveUp(ctx, req, gate, step, entry) };
      } else if (step.turn === undefined) {
        queued = true;
        await enqueue(ctx, req, entry);
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

function decide(
  state: PoolState,
  req: PermitRequest,
  entry: Buffer,
  known: number | undefined,
  queued: boolean,
): Step {
  if (state.leaseAlive === false) throw leaseNotFound(req.lease.id);
  const index = state.queue.findIndex((kv) => kv.key.equals(entry));
  const limit = limitFor(req, limitInForce(state), index >= 0 ? known : undefined, index >= 0);
  const own = state.holders.find((kv) => decodeHolder(kv).leaseId === req.lease.id);
  if (own) {
    const { permits } = decodeHolder(own);
    if (state.meta?.kind === 'rwlock' && permits !== req.permits) {
      // A read asked under the lease's write is the downgrade; a write under its read never waits.
      // A wait queued twice on one lease gets its grant, never a change of mode (as on the engine).
      if (req.permits > permits || queued) throw modeConflict();
      return { kind: 'downgrade', limit, write: own };
    }
    return { kind: 'held', result: { acquired: true, fencingToken: holderToken(own), permits } };
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

/**
 * One transaction: the holder (token = its position), own queue key gone, meta put (the CAS every
 * grant bumps), and the waiters right behind that fit then, granted with it.
 */
async function grant(
  ctx: EtcdContext,
  req: PermitRequest,
  state: PoolState,
  limit: number,
  turn: number | undefined,
): Promise<PermitAcquireResult | undefined> {
  const { keys } = ctx;
  const queue = keys.poolQueue(req.key);
  const entry = keys.poolQueueEntry(req.key, req.lease.id);
  const own: GrantSpec = {
    holder: keys.poolHolder(req.key, req.lease.id),
    lease: req.lease,
    permits: req.permits,
    maxHoldMs: req.maxHoldMs,
    ...(turn === undefined ? {} : { entry: { key: entry, turn } }),
  };
  const behind = turn === undefined ? [] : state.queue.filter((kv) => Number(kv.create_revision) > turn);
  const run = headRun(ctx, req.key, state, behind, usedOf(state) + req.permits);
  const swap = metaSwap(ctx, req.key, state, req.kind, limit);
  const step = {
    compare: [
      ...swap.compare,
      leaseGuard(ctx, req.lease),
      turn === undefined
        ? compare.created(queue, '=', 0, prefixEnd(queue))
        : compare.created(queue, '>', turn - 1, prefixEnd(queue)),
    ],
    success: swap.success,
  };
  const { succeeded, tokens } = await commitGrants(
    ctx,
    'semaphoreAcquire',
    req.key,
    step,
    [own, ...run],
    req.kind,
  );
  if (!succeeded) return undefined;
  return { acquired: true, fencingToken: tokens[0]!, permits: req.permits };
}

/** MODE_CONFLICT: a read grant asked to become a write; callers release and acquire again. */
function modeConflict(): LeaseholdError {
  return new LeaseholdError(
    'MODE_CONFLICT',
    'mode: the lease holds this lock for read; an upgrade to write is refused (release, then acquire write)',
    { field: 'mode' },
  );
}

/**
 * Joins the queue: a key on the lease, written once (a retried join keeps its turn), saying what it
 * asks so a step that frees permits can grant it. The count of the queue folder is never used: it
 * puts the folder in the transaction's footprint, so the batcher never commits two joins of one
 * pool together, and turns (create revisions) never tie.
 */
async function enqueue(ctx: EtcdContext, req: PermitRequest, entry: Buffer): Promise<void> {
  const { lease } = req;
  const queue = ctx.keys.poolQueue(req.key);
  const value: QueueValue = {
    leaseId: lease.id,
    ...(lease.app === undefined ? {} : { app: lease.app }),
    permits: req.permits,
    ...(req.maxHoldMs === undefined ? {} : { maxHoldMs: req.maxHoldMs }),
  };
  await ctx.conn.txn(
    'semaphoreAcquire',
    [leaseGuard(ctx, lease), compare.created(entry, '=', 0)],
    [request.put(entry, JSON.stringify(value), lease.etcdId)],
    [request.count(queue, prefixEnd(queue))],
  );
}

/**
 * Leaves the queue (if in it) and reports what was free; UNAVAILABLE when the store is closing. A
 * grant that a release made before the leave wins the race: the waiter gets it, as on the engine.
 */
async function giveUp(
  ctx: EtcdContext,
  req: PermitRequest,
  gate: WaiterGate | undefined,
  step: Extract<Step, { kind: 'full' }>,
  entry: Buffer,
): Promise<PermitAcquireResult> {
  let left = true;
  if (step.turn !== undefined) {
    const leave = ctx.conn.txn(
      'semaphoreAcquire',
      [compare.created(entry, '=', step.turn)],
      [request.delete(entry)],
    );
    left = await leave.then(
      (response) => response.succeeded,
      (error: unknown) => {
        if (gate?.stopped !== 'closed') throw error;
        return true;
      },
    );
  }
  if (gate?.stopped === 'closed') throw new LeaseholdError('UNAVAILABLE', 'store is closing');
  if (!left) {
    const own = (await readPool(ctx, req.key)).holders.find(
      (kv) => decodeHolder(kv).leaseId === req.lease.id,
    );
    if (own) return { acquired: true, fencingToken: holderToken(own), permits: decodeHolder(own).permits };
  }
  return { acquired: false, available: step.available, waiters: step.waiters };
}
