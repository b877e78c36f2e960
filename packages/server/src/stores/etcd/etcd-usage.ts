import type { Usage, UsageQuery } from '@leasehold/core';
import type { IRangeResponse } from 'etcd3';
import { countAt, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';

/** Size entries read per round trip: about 100 bytes each on the wire. */
const SIZE_PAGE = 10_000;

/**
 * What a tenant holds, global across every server on the cluster, read in one transaction: leases
 * and locks by counting the app's index folders, counters by counting the scope's marks, keys and
 * bytes by reading the scope's size entries (one more round trip per SIZE_PAGE keys, at the same
 * revision). Index entries live on the leases they count, so an expiry needs no bookkeeping.
 */
export async function usage(ctx: EtcdContext, query: UsageQuery): Promise<Usage> {
  const { keys } = ctx;
  const sizes = keys.valueSizes(query.scope);
  const reads = [
    request.count(keys.appLeases(query.app), prefixEnd(keys.appLeases(query.app))),
    request.count(keys.appLocks(query.app), prefixEnd(keys.appLocks(query.app))),
    request.count(keys.counterMarks(query.scope), prefixEnd(keys.counterMarks(query.scope))),
    request.get(sizes, { range_end: prefixEnd(sizes), limit: SIZE_PAGE }),
  ];
  if (query.kvKey !== undefined) {
    reads.push(
      request.get(keys.valueSize(query.kvKey)),
      request.get(keys.value(query.kvKey), { count_only: true }),
    );
  }
  if (query.counter !== undefined) reads.push(request.get(keys.counter(query.counter), { count_only: true }));
  const response = await ctx.conn.txn('usage', [], reads);
  const page = response.responses[3]!.response_range;
  const kvKeyBytes = query.kvKey === undefined ? undefined : await valueBytes(ctx, query.kvKey, response, 4);
  return {
    leases: countAt(response, 0),
    locks: countAt(response, 1),
    keys: Number(page.count),
    keyBytes: await sumSizes(ctx, sizes, page, Number(response.header.revision)),
    counters: countAt(response, 2),
    ...(kvKeyBytes === undefined ? {} : { kvKeyBytes }),
    ...(query.counter === undefined ? {} : { counterExists: countAt(response, reads.length - 1) > 0 }),
  };
}

/** Adds up the size entries of a scope, reading further pages at `revision`. */
async function sumSizes(
  ctx: EtcdContext,
  folder: Buffer,
  first: IRangeResponse,
  revision: number,
): Promise<number> {
  let page = first;
  let bytes = 0;
  for (;;) {
    for (const kv of page.kvs) bytes += Number(kv.value.toString()) || 0;
    const last = page.kvs.at(-1);
    if (!page.more || !last) return bytes;
    page = await ctx.conn.range('usage', {
      key: Buffer.concat([last.key, Buffer.from([0])]),
      range_end: prefixEnd(folder),
      limit: SIZE_PAGE,
      revision,
    });
  }
}

/** The size of one key's value: its size entry, or the value itself for a key written before size entries. */
async function valueBytes(
  ctx: EtcdContext,
  key: string,
  response: Parameters<typeof rangeAt>[0],
  at: number,
): Promise<number | undefined> {
  const size = rangeAt(response, at);
  if (size) return Number(size.value.toString());
  if (countAt(response, at + 1) === 0) return undefined;
  const value = (await ctx.conn.range('usage', { key: ctx.keys.value(key) })).kvs[0]?.value;
  return value?.length;
}
