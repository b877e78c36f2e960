import { randomUUID } from 'node:crypto';
import { LeaseholdError, atDeadline } from '@leasehold/core';
import type { IKeyValue } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import type { DeleteHub } from './delete-hub.js';
import { leaseGuard, leaseNotFound } from './lease-guard.js';
import { decodeLock, releaseGrant, tokenOf } from './lock-value.js';
import type { KeyView, MultiOutcome, MultiRequest, MultiView } from './multi-view.js';
import { heldBy, holdersOf, lookAt } from './multi-view.js';
import { takeAll } from './multi-take.js';
import type { WaiterGate } from './waiter-gate.js';

/** Where the waiter stands: its queue keys (the keys it does not hold) and their one turn. */
interface Place {
  readonly fresh: readonly string[];
  readonly entries: readonly Buffer[];
  readonly turn: number;
}

/**
 * Waits for every key at once (primitives.md §5, etcd): one transaction puts a queue key in each
 * queue of a key the lease does not hold, so all share one create revision, and every queue is a
 * sub-sequence of one arrival order; the earliest waiter heads all its queues, so whatever order
 * callers name keys in, nobody deadlocks. The waiter sleeps on each key's predecessor (or, heading
 * it, the lock's deletion) and takes all in one transaction when it heads every queue and all are
 * free. It holds nothing while it waits; stopping leaves every queue. Without a gate it looks once
 * (a try too wide for one transaction). Undefined: something moved under it, start again.
 */
export async function waitInLine(
  ctx: EtcdContext,
  hub: DeleteHub,
  gate: WaiterGate | undefined,
  req: MultiRequest,
  own: readonly string[],
): Promise<MultiOutcome | undefined> {
  const fresh = req.keys.filter((key) => !own.includes(key));
  const place = await join(ctx, hub, gate, req, fresh);
  if (!place) return gate && !gate.stopped ? undefined : refusal(ctx, req);
  try {
    for (;;) {
      const view = await lookAt(ctx, req.keys, req.lease, place.turn);
      if (!view.leaseAlive) throw leaseNotFound(req.lease.id);
      // A lock held before went, or a twin wait of the lease left a queue key of ours: start again.
      if (!stillPlaced(view, own, req.lease)) return await leaveThen(ctx, place, undefined);
      const blockers = blockersOf(view, place, req.lease);
      if (blockers.length === 0) {
        const taken = await takeAll(ctx, req, place.fresh, view, place.entries);
        if (taken) return { result: taken, taken: place.fresh };
        continue;
      }
      if (!gate || gate.stopped) return await giveUp(ctx, gate, req, view, place);
      await sleepOn(ctx, hub, gate, blockers, place);
    }
  } catch (error) {
    // Never leave queue keys nobody waits on.
    await leaveThen(ctx, place, undefined).catch(() => undefined);
    throw error;
  }
}

function stillPlaced(view: MultiView, own: readonly string[], lease: LeaseRef): boolean {
  return view.keys.every((k) => (own.includes(k.key) ? heldBy(k, lease) : k.queued));
}

/** Leaves every queue and answers who holds what; UNAVAILABLE when the store is closing. */
async function giveUp(
  ctx: EtcdContext,
  gate: WaiterGate | undefined,
  req: MultiRequest,
  view: MultiView,
  place: Place,
): Promise<MultiOutcome> {
  if (gate?.stopped === 'closed') {
    // Still leave, so waiters behind this one on other servers are not stuck behind a ghost.
    await leaveThen(ctx, place, undefined).catch(() => undefined);
    throw new LeaseholdError('UNAVAILABLE', 'store is closing');
  }
  const holders = await holdersOf(ctx, view.keys, req.lease);
  return leaveThen(ctx, place, { result: { acquired: false, holders }, taken: [] });
}

/** A refusal naming who holds the keys now. */
export async function refusal(ctx: EtcdContext, req: MultiRequest): Promise<MultiOutcome> {
  const view = await lookAt(ctx, req.keys, req.lease);
  return { result: { acquired: false, holders: await holdersOf(ctx, view.keys, req.lease) }, taken: [] };
}

/** What the waiter waits for: each queue's predecessor, else a lock another lease holds. */
function blockersOf(view: MultiView, place: Place, lease: LeaseRef): KeyView[] {
  return view.keys.filter(
    (k) => place.fresh.includes(k.key) && (k.predecessor !== undefined || (k.lock && !heldBy(k, lease))),
  );
}

/**
 * Joins every queue in one transaction. Its failure branch reads each queue folder: that puts the
 * folders in its footprint (so the batcher never commits two joins of one queue together and turns
 * never tie), and shows whether the keys are ours already (a retried join whose answer was lost: its
 * value's nonce) or another wait's of this lease on one of the names (a twin: wait for it to go).
 */
async function join(
  ctx: EtcdContext,
  hub: DeleteHub,
  gate: WaiterGate | undefined,
  req: MultiRequest,
  fresh: readonly string[],
): Promise<Place | undefined> {
  const { lease } = req;
  const entries = fresh.map((key) => ctx.keys.queueEntry(key, lease.id));
  const value = JSON.stringify({ leaseId: lease.id, multi: randomUUID() });
  const response = await ctx.conn.txn(
    'acquireAll',
    [leaseGuard(ctx, lease), ...entries.map((entry) => compare.created(entry, '=', 0))],
    entries.map((entry) => request.put(entry, value, lease.etcdId)),
    fresh.map((key) => {
      const queue = ctx.keys.queue(key);
      return request.get(queue, { range_end: prefixEnd(queue) });
    }),
  );
  if (response.succeeded) return { fresh, entries, turn: Number(response.header.revision) };
  const found = response.responses.flatMap((r) => r.response_range.kvs);
  const mine = entries.map((entry) => found.find((kv) => kv.key.equals(entry)));
  if (mine.every((kv) => kv?.value.toString() === value)) {
    return { fresh, entries, turn: Number(mine[0]!.create_revision) };
  }
  const twins = mine.filter((kv): kv is IKeyValue => kv !== undefined && kv.value.toString() !== value);
  if (twins.length === 0) throw leaseNotFound(lease.id);
  const from = Number(response.header.revision) + 1;
  if (gate && !gate.stopped)
    await sleepOnKeys(
      hub,
      gate,
      twins.map((kv) => [kv.key, from]),
    );
  return undefined;
}

/** Leaves every queue (only the keys still of this turn), then answers `then`. */
async function leaveThen<T>(ctx: EtcdContext, place: Place, then: T): Promise<T> {
  await ctx.conn.txn(
    'acquireAll',
    [],
    place.entries.map((entry) => ({
      request_txn: {
        compare: [compare.created(entry, '=', place.turn)],
        success: [request.delete(entry)],
        failure: [],
      },
    })),
  );
  return then;
}

/**
 * Sleeps until a blocker changes or the lease's end deletes a queue key of ours. A queue headed by
 * this waiter whose lock has a stored hold deadline is also released at it, as a lock's head waiter
 * does, in case the granting server is gone.
 */
async function sleepOn(
  ctx: EtcdContext,
  hub: DeleteHub,
  gate: WaiterGate,
  blockers: readonly KeyView[],
  place: Place,
): Promise<void> {
  const wake = () => gate.wake();
  const stops = blockers.map((k) => holdDeadline(ctx, k, wake));
  const keys: [Buffer, number][] = blockers.map((k) => [k.predecessor ?? k.lock!.key, k.revision + 1]);
  for (const entry of place.entries) keys.push([entry, place.turn + 1]);
  try {
    await sleepOnKeys(hub, gate, keys);
  } finally {
    for (const stop of stops) stop();
  }
}

function holdDeadline(ctx: EtcdContext, view: KeyView, wake: () => void): () => void {
  if (view.predecessor || !view.lock) return () => undefined;
  const held = view.lock;
  const { holdUntil, app } = decodeLock(held);
  if (holdUntil === undefined) return () => undefined;
  return atDeadline(holdUntil, () => void releaseGrant(ctx, view.key, tokenOf(held), app).then(wake, wake));
}

async function sleepOnKeys(
  hub: DeleteHub,
  gate: WaiterGate,
  keys: readonly [Buffer, number][],
): Promise<void> {
  const stops = keys.map(([key, from]) => hub.onDelete(key, from, () => gate.wake()));
  try {
    await gate.sleep();
  } finally {
    for (const stop of stops) stop();
  }
}
