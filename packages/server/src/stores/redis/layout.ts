import type { Redis } from 'ioredis';
import { LeaseholdError } from '@leasehold/core';

/** The data layout this version reads and writes (docs/adr/0019-redis-layout-meta-string.md). */
export const LAYOUT = '2';

const SCAN_COUNT = 1_000;

/** True when the store holds a lock meta of layout 1 (`meta:<key>` hashes; layout 2 writes `m:<key>`). */
async function hasLayout1Meta(client: Redis, prefix: string): Promise<boolean> {
  const match = `${`${prefix}meta:`.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
    if (keys.length > 0) return true;
    cursor = next;
  } while (cursor !== '0');
  return false;
}

/**
 * The store's layout: its `layout` key; without one, '1' when layout-1 lock metas are there, else
 * this layout, written (a store that is new, or whose Redis lost its data, holds nothing to misread).
 */
async function layoutOf(client: Redis, prefix: string): Promise<string> {
  const key = `${prefix}layout`;
  const found = await client.get(key);
  if (found !== null) return found;
  if (await hasLayout1Meta(client, prefix)) return '1';
  await client.set(key, LAYOUT, 'NX');
  return (await client.get(key)) ?? LAYOUT;
}

/**
 * Reads (or, on a store without old data, writes) the store's layout. Returns the refusal to raise
 * when the data is in another layout: this version would misread its locks (a renewal would let
 * them lapse early), so it serves none of it.
 */
export async function checkLayout(
  client: Redis,
  storeName: string,
  prefix: string,
): Promise<LeaseholdError | undefined> {
  const found = await layoutOf(client, prefix);
  if (found === LAYOUT) return undefined;
  const state =
    found === '1' ? `no ${prefix}layout key, ${prefix}meta:* hashes` : `${prefix}layout = ${found}`;
  return new LeaseholdError(
    'UNAVAILABLE',
    `lock.redis store ${storeName}: Redis holds layout ${found} data (${state}); this server reads ` +
      `layout ${LAYOUT} only. Stop the older servers and let their leases end (or delete the store's ` +
      `${prefix}* keys), then SET ${prefix}layout ${LAYOUT} (docs/adr/0019-redis-layout-meta-string.md)`,
  );
}
