import { LeaseholdError } from '../errors.js';
import { readStoreKey } from '../store-key-names.js';
import { checkQuota } from '../quotas.js';
import { readPrefix } from '../service/arguments.js';
import type { ServiceContext } from '../service/service-context.js';
import { holdCount } from '../service/service-context.js';
import type { Caller } from '../tenancy.js';
import { visibleEvent } from '../tenancy.js';
import type { WatchEvent } from '../types.js';
import type { Unsubscribe, WatchOptions } from './watch-store.js';

/** How a watch tells its transport it is live, or that it ended for want of history. */
export type WatchSignals = Pick<WatchOptions, 'onLive' | 'onError'>;

/** A watch event as its app sees it. */
export type WatchView = Omit<WatchEvent, 'key'> & {
  readonly key: string;
  readonly kind?: 'lock' | 'kv' | 'semaphore' | 'rwlock';
};

/** The store-key tags an admin's feed shows, and the kind each is shown as. */
const WATCHED_KINDS: Readonly<Record<string, 'lock' | 'kv' | 'semaphore' | 'rwlock'>> = {
  lock: 'lock',
  kv: 'kv',
  sem: 'semaphore',
  rw: 'rwlock',
};

/**
 * The change feed, scoped: each app sees its own key space and its own leases' expiries, and
 * every open watch counts against the app's watcher quota on this server until it ends.
 */
export class WatchService {
  constructor(private readonly context: ServiceContext) {}

  /** True when the store's feed carries only the changes made through this server (Redlock's). */
  perServer(caller: Caller, storeName: string): boolean {
    return this.context.target(caller, storeName, 'watch').store.watch.feed === 'server';
  }

  /**
   * Streams lock and KV events under a name prefix in the caller's scope. Lease ids of other
   * apps are left out, and only the caller's own leases' expiries are shown.
   */
  subscribe(
    caller: Caller,
    storeName: string,
    prefix: unknown,
    afterRevision: number | undefined,
    onEvent: (event: WatchView) => void,
    signals: WatchSignals = {},
  ): Unsubscribe {
    const binding = this.context.target(caller, storeName, 'watch');
    const scope = this.context.scopeOf(caller, binding);
    const text = readPrefix(this.context.limits, prefix);
    this.checkWatchers(caller);
    const unsubscribe = binding.store.watch.subscribe({
      prefix: '',
      ...(afterRevision === undefined ? {} : { afterRevision }),
      ...signals,
      onEvent: (raw) => {
        const event = visibleEvent(caller, raw);
        if (!event) return;
        if (event.type === 'lease.expired') {
          if (text === '') onEvent(event);
          return;
        }
        const named = scope.unscope(event.key);
        if (!named || named.kind === 'counter' || !named.name.startsWith(text)) return;
        onEvent({ ...event, key: named.name, kind: named.kind });
      },
    });
    return this.counted(caller, unsubscribe);
  }

  /**
   * Streams every app's lock and KV events, each named in its own key space and labelled by app
   * (admin only, audited): what the console's feed shows an operator.
   */
  subscribeAll(
    caller: Caller,
    storeName: string,
    afterRevision: number | undefined,
    onEvent: (event: WatchView & { readonly space?: string }) => void,
    signals: WatchSignals = {},
  ): Unsubscribe {
    if (caller.role !== 'admin') {
      throw new LeaseholdError('FORBIDDEN', "watching every app's events needs an admin token");
    }
    const binding = this.context.target(caller, storeName, 'watchAllApps');
    this.checkWatchers(caller);
    const unsubscribe = binding.store.watch.subscribe({
      prefix: '',
      ...(afterRevision === undefined ? {} : { afterRevision }),
      ...signals,
      onEvent: (event) => {
        if (event.type === 'lease.expired') return onEvent(event);
        const read = readStoreKey(binding.keyPrefix, event.key);
        const kind = read === undefined ? undefined : WATCHED_KINDS[read.kind];
        if (!read || !kind) return;
        const space = read.space === undefined ? {} : { space: read.space };
        onEvent({ ...event, key: read.name, kind, ...space });
      },
    });
    return this.counted(caller, unsubscribe);
  }

  /** Refuses a watch past the app's watcher quota on this server. */
  private checkWatchers(caller: Caller): void {
    const { watchers, quotasOf } = this.context;
    checkQuota(caller.appId, quotasOf(caller.appId), 'watchers', watchers.of(caller.appId));
  }

  /** Counts an open watch against its app until the returned function (idempotent) ends it. */
  private counted(caller: Caller, unsubscribe: Unsubscribe): Unsubscribe {
    const release = holdCount(this.context.watchers, caller.appId);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      release();
      unsubscribe();
    };
  }
}
