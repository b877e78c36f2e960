/** A semaphore pool on etcd as one revision shows it, and the values of its keys. */
import { modeOf } from '@leasehold/core';
import type { ICompare, IKeyValue } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { etcdRevisionOf, indexOf, position } from './etcd-position.js';
import { leaseGuardKey } from './lease-guard.js';

/** A pool's meta value. `explicit`: made or resized by setLimit, so kept while idle. */
export interface PoolMeta {
  readonly kind: PoolKind;
  readonly limit: number;
  readonly explicit?: boolean;
}

/** A counting semaphore, or a read/write lock (a read weighs 1, a write RW_WRITE_PERMITS). */
export type PoolKind = 'semaphore' | 'rwlock';

/** A holder key's value; the slot first, so a compare can test it (as lock values do). */
export interface HolderValue {
  readonly slot: number;
  readonly leaseId: string;
  readonly app?: string;
  readonly permits: number;
  /** A read/write lock's grant says its mode, so its watch events can. */
  readonly mode?: 'read' | 'write';
  readonly acquiredAt: number;
  readonly holdUntil?: number;
}

/** A queue key's value: what the waiter asks, so the step that frees permits can grant it. */
export interface QueueValue {
  readonly leaseId: string;
  readonly app?: string;
  readonly permits: number;
  readonly maxHoldMs?: number;
}

/** Meta, holders and queue (oldest first) of one pool at `revision`. */
export interface PoolState {
  readonly revision: number;
  readonly meta: PoolMeta | undefined;
  /** The meta key's mod revision, '0' when absent: every grant and resize changes it. */
  readonly metaMod: string;
  readonly holders: readonly IKeyValue[];
  readonly queue: readonly IKeyValue[];
  /** Whether the lease read with it is alive and the caller's (undefined when none was read). */
  readonly leaseAlive?: boolean;
}

/** Reads a pool in one revision (no Raft write), with the lease's guard key when `lease` is given. */
export async function readPool(ctx: EtcdContext, key: string, lease?: LeaseRef): Promise<PoolState> {
  const { keys } = ctx;
  const holders = keys.poolHolders(key);
  const queue = keys.poolQueue(key);
  const reads = [
    request.get(keys.poolMeta(key)),
    request.get(holders, { range_end: prefixEnd(holders) }),
    // Ascending by create revision: the queue in arrival order, with what each waiter asks.
    request.get(queue, { range_end: prefixEnd(queue), sort_order: 1, sort_target: 2 }),
  ];
  if (lease) reads.push(request.get(leaseGuardKey(ctx, lease), { keys_only: true }));
  const response = await ctx.conn.txn('semaphore', [], reads);
  const metaKv = rangeAt(response, 0);
  return {
    revision: Number(response.header.revision),
    meta: metaKv ? (JSON.parse(metaKv.value.toString()) as PoolMeta) : undefined,
    metaMod: metaKv?.mod_revision ?? '0',
    holders: response.responses[1]?.response_range.kvs ?? [],
    queue: response.responses[2]?.response_range.kvs ?? [],
    ...(lease ? { leaseAlive: rangeAt(response, 3) !== undefined } : {}),
  };
}

/** Permits held in the pool. */
export function usedOf(state: PoolState): number {
  return state.holders.reduce((sum, kv) => sum + decodeHolder(kv).permits, 0);
}

/** The limit in force, or undefined when nobody made the pool or it went idle (an implicit one is gone then). */
export function limitInForce(state: PoolState): number | undefined {
  const { meta } = state;
  if (!meta) return undefined;
  const idle = !meta.explicit && state.holders.length === 0 && state.queue.length === 0;
  return idle ? undefined : meta.limit;
}

/** Decodes a holder key's value. */
export function decodeHolder(kv: IKeyValue): HolderValue {
  return JSON.parse(kv.value.toString()) as HolderValue;
}

/** A holder's fencing token: its create revision's position plus its slot in the batch that wrote it. */
export function holderToken(kv: IKeyValue): number {
  return position(kv.create_revision, decodeHolder(kv).slot);
}

/** Decodes a queue key's value; undefined for a key that says nothing (written before it did). */
export function decodeWaiter(kv: IKeyValue): QueueValue | undefined {
  try {
    const value = JSON.parse(kv.value.toString()) as QueueValue;
    return typeof value.permits === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The holder value of a new grant in slot `slot` (its index within its revision). */
export function holderValue(
  lease: Pick<LeaseRef, 'id' | 'app'>,
  permits: number,
  slot: number,
  maxHoldMs: number | undefined,
  kind: PoolKind,
): string {
  const acquiredAt = Date.now();
  const value: HolderValue = {
    slot,
    leaseId: lease.id,
    ...(lease.app === undefined ? {} : { app: lease.app }),
    permits,
    ...(kind === 'rwlock' ? { mode: modeOf(permits) } : {}),
    acquiredAt,
    ...(maxHoldMs === undefined ? {} : { holdUntil: acquiredAt + maxHoldMs }),
  };
  return JSON.stringify(value);
}

/** Compares that hold while holder key `holder` is still grant `token` (create revision and slot). */
export function holderCompares(holder: Buffer, token: number): ICompare[] {
  const slot = `{"slot":${indexOf(token)}`;
  return [
    compare.created(holder, '=', etcdRevisionOf(token)),
    compare.value(holder, '>', Buffer.from(`${slot},`)),
    compare.value(holder, '<', Buffer.from(`${slot}-`)),
  ];
}

/** The holder key of grant `token` in a pool, read now; undefined when no current grant has it. */
export async function holderWithToken(
  ctx: EtcdContext,
  key: string,
  token: number,
): Promise<Buffer | undefined> {
  const holders = ctx.keys.poolHolders(key);
  const revision = etcdRevisionOf(token);
  const response = await ctx.conn.range('checkFence', {
    key: holders,
    range_end: prefixEnd(holders),
    min_create_revision: revision,
    max_create_revision: revision,
  });
  return response.kvs.find((kv) => holderToken(kv) === token)?.key;
}

/** Deletes a holder only while it is still grant `token`; true when it did. */
export async function releaseHolder(ctx: EtcdContext, key: string, token: number) {
  // A downgraded read's key is not the lease's first grant key, so find the grant by its token.
  const holder = await holderWithToken(ctx, key, token);
  if (!holder) return false;
  const response = await ctx.conn.txn('semaphoreRelease', holderCompares(holder, token), [
    request.delete(holder),
  ]);
  return response.succeeded;
}

/** Deletes an implicit pool nobody holds or awaits (meta unchanged since `state`); best effort. */
export async function dropIfIdle(ctx: EtcdContext, key: string): Promise<void> {
  const state = await readPool(ctx, key);
  if (!state.meta || limitInForce(state) !== undefined) return;
  const { keys } = ctx;
  const [holders, queue] = [keys.poolHolders(key), keys.poolQueue(key)];
  await ctx.conn.txn(
    'semaphoreRelease',
    [
      compare.modified(keys.poolMeta(key), '=', state.metaMod),
      compare.created(holders, '=', 0, prefixEnd(holders)),
      compare.created(queue, '=', 0, prefixEnd(queue)),
    ],
    [request.delete(keys.poolMeta(key)), request.delete(keys.poolName(key))],
  );
}
