import { LeaseholdError, invalidArgument } from '../errors.js';
import type { KeyScope } from '../key-scope.js';
import { checkInteger, checkName } from '../limits.js';
import { capability } from '../store.js';
import type { Store } from '../store.js';
import type { Caller } from '../tenancy.js';
import { visibleLock } from '../tenancy.js';
import type { KvEntry } from '../types.js';

/** Entries in a page when the caller names no `limit`. */
export const KV_PAGE_DEFAULT = 100;
/** The most entries one page may hold. */
export const KV_PAGE_MAX = 1000;

/** What a listing asks for: names under `prefix` ('' for all), after `after` (exclusive), `limit` of them. */
export interface KvListQuery {
  readonly prefix: string;
  readonly after: string | undefined;
  readonly limit: number;
}

/** One page of a listing, sorted by the UTF-8 bytes of the name; `next` is the `after` of the next page. */
export interface KvPage {
  readonly entries: KvEntry[];
  readonly more: boolean;
  readonly next?: string;
}

/**
 * Reads a listing's query (`prefix`, `after`, `limit`; numbers may arrive as decimal strings, as
 * HTTP query strings carry them). Naming `key` as well is refused: that is a read of one key.
 */
export function parseKvListQuery(query: unknown, nameMaxBytes: number): KvListQuery {
  const input = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  if (input.key !== undefined) {
    throw invalidArgument('prefix', 'give either key (read one entry) or prefix (list entries), not both');
  }
  const optionalName = (field: string, value: unknown) =>
    value === undefined || value === null || value === '' ? undefined : checkName(field, value, nameMaxBytes);
  return {
    prefix: optionalName('prefix', input.prefix) ?? '',
    after: optionalName('after', input.after),
    limit: pageLimit(input.limit),
  };
}

function pageLimit(value: unknown): number {
  if (value === undefined || value === null) return KV_PAGE_DEFAULT;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  return checkInteger('limit', number, 1, KV_PAGE_MAX);
}

/**
 * Lists one page of the caller's keys: only its key scope is ranged, names come back without
 * the scope, and another app's binding lease is not named (as `get` answers).
 */
export async function listKeyPage(
  binding: { readonly name: string; readonly store: Store },
  scope: KeyScope,
  caller: Caller,
  query: KvListQuery,
): Promise<KvPage> {
  const kv = capability(binding.store, 'kv', binding.name);
  if (!kv.list) {
    throw new LeaseholdError('NOT_SUPPORTED', `store: ${binding.name} cannot list keys`, { field: 'store' });
  }
  const after = query.after === undefined ? undefined : scope.kv(query.after);
  // One more than asked says whether another page follows, without a second round trip.
  const rows = await kv.list(scope.kv(query.prefix), after, query.limit + 1);
  const entries: KvEntry[] = [];
  for (const row of rows.slice(0, query.limit)) {
    const named = scope.unscope(row.key);
    if (named?.kind === 'kv') entries.push(visibleLock(caller, { ...row, key: named.name }));
  }
  const more = rows.length > query.limit;
  const last = entries[entries.length - 1];
  return { entries, more, ...(more && last ? { next: last.key } : {}) };
}
