import { LeaseholdError, compareBytes, storeError } from '@leasehold/core';
import type { KvEntry, PutOptions } from '@leasehold/core';
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { leaseGuard, leaseGuardKey, leaseNotFound } from './etcd-leases.js';
import { tokenOf } from './etcd-locks.js';

const COUNTER_ATTEMPTS = 100;

/**
 * A put whose fence, ifVersion and lease (resolved by the caller, see resolveLease) are compared in
 * the same transaction as the write. The value's size entry is written beside it, on the same lease.
 * Version is etcd's key version (reset by a delete), revision the key's mod revision.
 */
export async function put(
  ctx: EtcdContext,
  options: PutOptions,
  lease: LeaseRef | undefined,
): Promise<{ version: number; revision: number }> {
  const valueKey = ctx.keys.value(options.key);
  const { fence, ifVersion } = options;
  if (fence && !(Number.isSafeInteger(fence.token) && fence.token > 0)) throw fenced(fence.token);
  const compares: ICompare[] = [];
  const reads: IRequestOp[] = [request.get(valueKey, { keys_only: true })];
  if (fence) {
    compares.push(compare.created(ctx.keys.lock(fence.key), '=', fence.token));
    reads.push(request.get(ctx.keys.lock(fence.key), { keys_only: true }));
  }
  if (ifVersion !== undefined) compares.push(compare.version(valueKey, '=', ifVersion));
  if (lease) {
    compares.push(leaseGuard(ctx, lease));
    reads.push(request.get(leaseGuardKey(ctx, lease), { keys_only: true }));
  }
  const size = String(Buffer.byteLength(options.value, 'utf8'));
  const response = await ctx.conn.txn(
    'put',
    compares,
    [
      request.put(valueKey, options.value, lease?.etcdId, true),
      request.put(ctx.keys.valueSize(options.key), size, lease?.etcdId),
    ],
    reads,
  );
  if (response.succeeded) {
    const previous = response.responses[0]?.response_put.prev_kv;
    return { version: Number(previous?.version ?? 0) + 1, revision: Number(response.header.revision) };
  }
  if (fence) {
    const lock = rangeAt(response, 1);
    if (!lock || tokenOf(lock) !== fence.token) throw fenced(fence.token);
  }
  const current = Number(rangeAt(response, 0)?.version ?? 0);
  if (ifVersion !== undefined && current !== ifVersion) {
    throw new LeaseholdError(
      'VERSION_MISMATCH',
      `ifVersion: expected ${ifVersion}, the key is at version ${current}`,
      {
        field: 'ifVersion',
      },
    );
  }
  if (lease) throw leaseNotFound(lease.id);
  throw storeError('put', new Error('transaction failed with every compare satisfied'));
}

function fenced(token: number): LeaseholdError {
  return new LeaseholdError('FENCED', `fence: token ${token} is not the current grant of its lock`, {
    field: 'fence',
  });
}

/**
 * Reads a kv entry. A bound key names its lease by public id and app, found from etcd's lease id
 * (cached; one more read on a miss). A lease that ended since the read is left out.
 */
export async function get(ctx: EtcdContext, key: string): Promise<KvEntry | undefined> {
  const response = await ctx.conn.range('get', { key: ctx.keys.value(key) });
  const kv = response.kvs[0];
  return kv ? entryOf(ctx, key, kv) : undefined;
}

/**
 * Lists kv entries under a prefix after a cursor: one range read, which etcd answers in byte order
 * (`after` + NUL is the first key past the cursor). Bound keys name their leases as `get` does.
 */
export async function list(
  ctx: EtcdContext,
  prefix: string,
  after: string | undefined,
  limit: number,
): Promise<KvEntry[]> {
  const folder = ctx.keys.value(prefix);
  const past = after !== undefined && compareBytes(after, prefix) >= 0;
  const start = past ? Buffer.concat([ctx.keys.value(after), Buffer.from([0])]) : folder;
  const response = await ctx.conn.range('listKeys', { key: start, range_end: prefixEnd(folder), limit });
  return Promise.all(response.kvs.map((kv) => entryOf(ctx, ctx.keys.valueName(kv.key), kv)));
}

async function entryOf(ctx: EtcdContext, key: string, kv: IKeyValue): Promise<KvEntry> {
  const bound = kv.lease !== '0' && kv.lease !== '' ? await ctx.leases.findByEtcdId(kv.lease) : undefined;
  return {
    key,
    value: kv.value.toString(),
    version: Number(kv.version),
    revision: Number(kv.mod_revision),
    ...(bound === undefined ? {} : { leaseId: bound.id }),
    ...(bound?.app === undefined ? {} : { app: bound.app }),
  };
}

/** Deletes a kv entry and its size entry; false when absent. */
export async function remove(ctx: EtcdContext, key: string): Promise<boolean> {
  const response = await ctx.conn.txn(
    'delete',
    [],
    [request.delete(ctx.keys.value(key)), request.delete(ctx.keys.valueSize(key))],
  );
  return Number(response.responses[0]?.response_delete_range.deleted ?? 0) > 0;
}

/** Adds to a counter by compare-and-swap on its mod revision, retrying on conflict; marks it in its scope. */
export async function counterAdd(ctx: EtcdContext, name: string, delta: number): Promise<number> {
  const key = ctx.keys.counter(name);
  let current = (await ctx.conn.range('counterAdd', { key })).kvs[0];
  for (let attempt = 0; attempt < COUNTER_ATTEMPTS; attempt++) {
    const value = Number(current?.value.toString() ?? 0) + delta;
    const response = await ctx.conn.txn(
      'counterAdd',
      [compare.modified(key, '=', current?.mod_revision ?? 0)],
      [request.put(key, String(value)), request.put(ctx.keys.counterMark(name), '')],
      [request.get(key)],
    );
    if (response.succeeded) return value;
    current = rangeAt(response, 0);
  }
  throw storeError('counterAdd', new Error(`still contended after ${COUNTER_ATTEMPTS} attempts`));
}

/** Reads a counter; absent is 0. */
export async function counterGet(ctx: EtcdContext, name: string): Promise<number> {
  const response = await ctx.conn.range('counterGet', { key: ctx.keys.counter(name) });
  return Number(response.kvs[0]?.value.toString() ?? 0);
}

/** Sets a counter. */
export async function counterSet(ctx: EtcdContext, name: string, value: number): Promise<void> {
  await ctx.conn.txn(
    'counterSet',
    [],
    [request.put(ctx.keys.counter(name), String(value)), request.put(ctx.keys.counterMark(name), '')],
  );
}
