import type { Redis } from 'ioredis';
import { compareBytes } from '@leasehold/core';
import type { KvEntry } from '@leasehold/core';
import { list } from './replies.js';

/**
 * The sorted set `kvs` holds every kv key of a store (score 0, so ZRANGEBYLEX ranges it in byte
 * order). The kv scripts keep it: put adds, delete, revoke and reap remove, and a listing drops a
 * key whose row Redis expired by TTL first. Stores from before the index get it built once at start.
 */
const INDEXED_MARK = 'kvs:built';
const SCAN_COUNT = 1_000;

/** The ZRANGEBYLEX start of a listing: the prefix itself, or just past `after` when that is later. */
export function listStart(prefix: string, after: string | undefined): string {
  return after !== undefined && compareBytes(after, prefix) >= 0 ? `(${after}` : `[${prefix}`;
}

interface RawRow {
  key: string;
  value: string;
  version: number;
  revision: number;
  leaseId?: string;
  app?: string;
}

/** Reads listKeysScript's JSON (cjson writes an empty array as {}). */
export function kvEntries(json: unknown): KvEntry[] {
  return list<RawRow>(JSON.parse(String(json))).map((raw) => ({
    key: raw.key,
    value: raw.value,
    version: raw.version,
    revision: raw.revision,
    ...(raw.leaseId === undefined ? {} : { leaseId: raw.leaseId }),
    ...(raw.leaseId === undefined || raw.app === undefined ? {} : { app: raw.app }),
  }));
}

/**
 * Adds every kv row already in Redis to `kvs`, once per store: rows written before the index
 * existed would otherwise never be listed. Safe beside live traffic (ZADD is idempotent, and a row
 * deleted meanwhile is dropped by the next listing); the mark is set only after a full scan.
 */
export async function indexOldKeys(client: Redis, prefix: string): Promise<void> {
  if ((await client.exists(`${prefix}${INDEXED_MARK}`)) === 1) return;
  const rowPrefix = `${prefix}kv:`;
  const match = `${rowPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
    cursor = next;
    const members = keys.flatMap((k) => [0, k.slice(rowPrefix.length)] as const);
    if (members.length > 0) await client.zadd(`${prefix}kvs`, ...members);
  } while (cursor !== '0');
  await client.set(`${prefix}${INDEXED_MARK}`, '1');
}
