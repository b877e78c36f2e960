/**
 * The steps that grant permits on etcd. Each is one transaction that makes its own change (a grant,
 * a release, a downgrade) and grants the run of waiters at the queue head that then fit, so a
 * release hands off in its own step and a read head brings the reads behind it (primitives.md §1, §2).
 */
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { position } from './etcd-position.js';
import { leaseGuard } from './lease-guard.js';
import type { PoolKind, PoolMeta, PoolState } from './pool-state.js';
import { decodeHolder, decodeWaiter, holderValue, limitInForce, readPool, usedOf } from './pool-state.js';

/** etcd allows 128 ops a transaction by default; a longer run is granted by its next head, in turn. */
const MAX_RUN = 32;
/** Releases that lost this many races with grants only delete (the head waiter then hands off). */
const HANDOFF_ATTEMPTS = 5;

/** One grant a transaction makes, and for a waiter its queue key and turn (deleted with it). */
export interface GrantSpec {
  readonly holder: Buffer;
  readonly lease: Pick<LeaseRef, 'id' | 'etcdId' | 'app'>;
  readonly permits: number;
  readonly maxHoldMs: number | undefined;
  readonly entry?: { readonly key: Buffer; readonly turn: number };
  /** What proves the lease holds nothing yet; by default none of its grant keys exists. */
  readonly fresh?: ICompare;
}

/** The pool writes and compares of a step, beside its grants. */
export interface StepTxn {
  readonly compare: readonly ICompare[];
  readonly success: readonly IRequestOp[];
}

/**
 * The waiters from the head of `queue` that fit once `used` permits are held, in order, stopping at
 * the first that does not: strict FIFO, a read head brings the reads behind it and no one passes a
 * write. A waiter whose request is unreadable, or whose lease holds already, stops the run too: it
 * answers itself on its next look.
 */
export function headRun(
  ctx: EtcdContext,
  key: string,
  state: PoolState,
  queue: readonly IKeyValue[],
  used: number,
): GrantSpec[] {
  const limit = limitInForce(state) ?? 0;
  const holding = new Set(state.holders.map((kv) => decodeHolder(kv).leaseId));
  const run: GrantSpec[] = [];
  for (const kv of queue) {
    const waiter = decodeWaiter(kv);
    if (!waiter || holding.has(waiter.leaseId) || used + waiter.permits > limit || run.length >= MAX_RUN)
      break;
    used += waiter.permits;
    run.push({
      holder: ctx.keys.poolHolder(key, waiter.leaseId),
      lease: { id: waiter.leaseId, etcdId: kv.lease, app: waiter.app },
      permits: waiter.permits,
      maxHoldMs: waiter.maxHoldMs,
      entry: { key: kv.key, turn: Number(kv.create_revision) },
    });
  }
  return run;
}

/**
 * Commits a step with its grants; the tokens are theirs, in order. One grant goes through group
 * commit with its batch slot; several take a revision of their own, so each has an index in it.
 */
export async function commitGrants(
  ctx: EtcdContext,
  op: string,
  key: string,
  step: StepTxn,
  grants: readonly GrantSpec[],
  kind: PoolKind,
): Promise<{ succeeded: boolean; tokens: number[] }> {
  const compares = [...step.compare, ...grants.flatMap((g) => guardOf(ctx, key, g))];
  const writes = (first: number) => [
    ...step.success,
    ...grants.flatMap((g, i) => [
      request.put(g.holder, holderValue(g.lease, g.permits, first + i, g.maxHoldMs, kind), g.lease.etcdId),
      ...(g.entry ? [request.delete(g.entry.key)] : []),
    ]),
  ];
  if (grants.length <= 1) {
    const response = await ctx.conn.slotted(op, (slot) => ({
      compare: compares,
      success: writes(slot),
      failure: [],
    }));
    const token = position(response.header.revision, response.slot);
    return { succeeded: response.succeeded, tokens: grants.map(() => token) };
  }
  const response = await ctx.conn.alone(op, compares, writes(0));
  return {
    succeeded: response.succeeded,
    tokens: grants.map((_, i) => position(response.header.revision, i)),
  };
}

function guardOf(ctx: EtcdContext, key: string, grant: GrantSpec): ICompare[] {
  const range = ctx.keys.poolLeaseHolders(key, grant.lease.id);
  return [
    grant.fresh ?? compare.created(range.key, '=', 0, range.rangeEnd),
    ...(grant.entry ? [compare.created(grant.entry.key, '=', grant.entry.turn)] : []),
  ];
}

/**
 * The compare and write every grant makes to the meta key (the CAS that keeps Σ permits ≤ limit),
 * and the name entry with it when this grant makes the pool.
 */
export function metaSwap(
  ctx: EtcdContext,
  key: string,
  state: PoolState,
  kind: PoolKind,
  limit: number,
): StepTxn {
  const meta: PoolMeta = {
    kind: state.meta?.kind ?? kind,
    limit,
    ...(state.meta?.explicit ? { explicit: true } : {}),
  };
  return {
    compare: [compare.modified(ctx.keys.poolMeta(key), '=', state.metaMod)],
    success: [
      request.put(ctx.keys.poolMeta(key), JSON.stringify(meta)),
      ...(state.meta ? [] : [request.put(ctx.keys.poolName(key), '')]),
    ],
  };
}

/**
 * Deletes the lease's grant and, in the same transaction, grants the waiters it lets in. A release
 * that keeps losing races with grants in the pool finally only deletes: the head waiter, watching
 * the pool, then takes what is free. False when the lease holds nothing (or is not the caller's).
 */
export async function releaseGrantOf(ctx: EtcdContext, key: string, lease: LeaseRef): Promise<boolean> {
  for (let attempt = 0; attempt <= HANDOFF_ATTEMPTS; attempt++) {
    const state = await readPool(ctx, key, lease);
    const own = state.holders.find((kv) => decodeHolder(kv).leaseId === lease.id);
    if (!own || state.leaseAlive === false) return false;
    const kind = state.meta?.kind ?? 'semaphore';
    const freed = usedOf(state) - decodeHolder(own).permits;
    const run = state.meta && attempt < HANDOFF_ATTEMPTS ? headRun(ctx, key, state, state.queue, freed) : [];
    const limit = limitInForce(state) ?? 0;
    const swap = run.length > 0 ? metaSwap(ctx, key, state, kind, limit) : { compare: [], success: [] };
    const step = {
      compare: [leaseGuard(ctx, lease), compare.created(own.key, '=', own.create_revision), ...swap.compare],
      success: [request.delete(own.key), ...swap.success],
    };
    if ((await commitGrants(ctx, 'semaphoreRelease', key, step, run, kind)).succeeded) return true;
  }
  return false;
}

/**
 * A read/write lock's downgrade, one transaction: the lease's write grant goes, a read grant of its
 * own key (a new token) comes, and the reads at the queue head join; a queued writer never sees
 * the lock free. The read keeps the write's hold time, counted anew. Undefined when the pool changed.
 */
export async function downgrade(
  ctx: EtcdContext,
  key: string,
  lease: LeaseRef,
  state: PoolState,
  write: IKeyValue,
): Promise<{ token: number; holdMs: number | undefined } | undefined> {
  const held = decodeHolder(write);
  const holdMs = held.holdUntil === undefined ? undefined : held.holdUntil - held.acquiredAt;
  const readKey = ctx.keys.poolDowngraded(key, lease.id);
  const read: GrantSpec = {
    holder: readKey,
    lease,
    permits: 1,
    maxHoldMs: holdMs,
    fresh: compare.created(readKey, '=', 0),
  };
  const run = headRun(ctx, key, state, state.queue, usedOf(state) - held.permits + 1);
  const swap = metaSwap(ctx, key, state, 'rwlock', limitInForce(state) ?? 0);
  const step = {
    compare: [
      leaseGuard(ctx, lease),
      compare.created(write.key, '=', write.create_revision),
      ...swap.compare,
    ],
    success: [request.delete(write.key), ...swap.success],
  };
  const { succeeded, tokens } = await commitGrants(ctx, 'rwlockAcquire', key, step, [read, ...run], 'rwlock');
  return succeeded ? { token: tokens[0]!, holdMs } : undefined;
}
