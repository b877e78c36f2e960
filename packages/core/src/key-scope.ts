/** What a store key names. */
export type KeyKind = 'lock' | 'kv' | 'counter' | 'semaphore' | 'rwlock';

/** Each kind with the tag its store keys start with. */
const KEY_KINDS: readonly (readonly [KeyKind, string])[] = [
  ['lock', 'lock'],
  ['kv', 'kv'],
  ['counter', 'counter'],
  ['semaphore', 'sem'],
  ['rwlock', 'rw'],
];

/**
 * Tenant key scoping, as Dapr scopes lock keys by the store's `keyPrefix` metadata:
 * `appid` (default) → `lock||<appId>||<name>`, `name` → `lock||<storeName>||<name>`,
 * `none` → `lock||<name>`, anything else `v` → `lock||<lower-cased v>||<name>`.
 * KV keys, counters, semaphores and read/write locks are scoped the same way under `kv||`,
 * `counter||`, `sem||` and `rw||`.
 */
export class KeyScope {
  private readonly scope: string;
  /** `lock||<scope>`, built once: a lock key is then one concatenation per call. */
  private readonly lockHead: string;

  constructor(keyPrefix: string, appId: string, storeName: string) {
    const strategy = keyPrefix.toLowerCase();
    if (strategy === '' || strategy === 'appid') this.scope = `${appId}||`;
    else if (strategy === 'name') this.scope = `${storeName}||`;
    else if (strategy === 'none') this.scope = '';
    else this.scope = `${strategy}||`;
    this.lockHead = `lock||${this.scope}`;
  }

  /** The scope part of this tenant's store keys: `<scope>||`, or '' on a shared key space. */
  get tenant(): string {
    return this.scope;
  }

  /** The store key of a lock name. */
  lock(name: string): string {
    return this.lockHead + name;
  }

  /** The store key of a KV key. */
  kv(key: string): string {
    return `kv||${this.scope}${key}`;
  }

  /** The store key of a counter. */
  counter(name: string): string {
    return `counter||${this.scope}${name}`;
  }

  /** The store key of a semaphore (a permit pool). */
  semaphore(name: string): string {
    return `sem||${this.scope}${name}`;
  }

  /** The store key of a read/write lock (a permit pool). */
  rwlock(name: string): string {
    return `rw||${this.scope}${name}`;
  }

  /** The user-facing name of a store key in this scope, or undefined if it lies outside it. */
  unscope(storeKey: string): { kind: KeyKind; name: string } | undefined {
    for (const [kind, tag] of KEY_KINDS) {
      const head = `${tag}||${this.scope}`;
      if (storeKey.startsWith(head)) return { kind, name: storeKey.slice(head.length) };
    }
    return undefined;
  }
}

/** The scope part of a store key (`kv||orders||x` → `orders||`; `kv||x` → ''), as `KeyScope.tenant`. */
export function scopeOfKey(storeKey: string): string {
  const start = storeKey.indexOf('||') + 2;
  const end = storeKey.indexOf('||', start);
  return end < 0 ? '' : storeKey.slice(start, end + 2);
}

/** What a fence names, from its scoped key (KeyScope's `sem||` and `rw||` prefixes), for its refusal. */
export function fencedNoun(key: string): string {
  if (key.startsWith('sem||')) return 'semaphore';
  if (key.startsWith('rw||')) return 'read/write lock';
  return 'lock';
}
