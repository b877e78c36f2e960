// How store keys read back into a kind, a key space and a name, for views that span apps.

/**
 * Reads a store key back without knowing whose it is: its kind, key space and name. Names never
 * hold `||`, so on every strategy but `none` the key space is the part between the first two.
 */
export function readStoreKey(
  keyPrefix: string,
  storeKey: string,
): { kind: string; space?: string; name: string } | undefined {
  const head = storeKey.indexOf('||');
  if (head < 0) return undefined;
  const kind = storeKey.slice(0, head);
  const rest = storeKey.slice(head + 2);
  if (keyPrefix.toLowerCase() === 'none') return { kind, name: rest };
  const split = rest.indexOf('||');
  if (split < 0) return { kind, name: rest };
  return { kind, space: rest.slice(0, split), name: rest.slice(split + 2) };
}

/** True when the store's key spaces are per app (`keyPrefix` appid, the default): a space names its app. */
export function isAppScoped(keyPrefix: string): boolean {
  const strategy = keyPrefix.toLowerCase();
  return strategy === '' || strategy === 'appid';
}
