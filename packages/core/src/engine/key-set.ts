/**
 * A set of keys that costs nothing when empty and one string when it holds one key, the common
 * case for a lease holding a single lock: a million leases then need no Set objects.
 */
export type KeySet = undefined | string | Set<string>;

/** The set with `key` added. */
export function keySetAdd(set: KeySet, key: string): KeySet {
  if (set === undefined || set === key) return key;
  if (typeof set === 'string') return new Set([set, key]);
  set.add(key);
  return set;
}

/** The set with `key` removed. */
export function keySetDelete(set: KeySet, key: string): KeySet {
  if (set === undefined || set === key) return undefined;
  if (typeof set === 'string') return set;
  set.delete(key);
  return set.size === 0 ? undefined : set;
}

/** The keys, as a new array (safe to iterate while the set changes). */
export function keySetValues(set: KeySet): string[] {
  if (set === undefined) return [];
  return typeof set === 'string' ? [set] : [...set];
}
