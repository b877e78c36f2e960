import { AppCounts } from '../engine/app-counts.js';
import { LeaseholdError } from '../errors.js';
import { KeyScope } from '../key-scope.js';
import type { Limits } from '../limits.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { Quotas } from '../quotas.js';
import { DEFAULT_QUOTAS } from '../quotas.js';
import type { ServiceObserver } from '../service-observer.js';
import type { StoreBinding } from '../store-binding.js';
import { checkQuota } from '../quotas.js';
import type { Caller } from '../tenancy.js';

/** How the service is set up: limits, quotas, the admin audit and the metrics observer. */
export interface ServiceOptions {
  /** Input limits; `minTtlMs` may be lowered for tests. */
  readonly limits?: Partial<Limits>;
  /** The quotas of an app, read on every check so a reloaded token file applies at once. */
  readonly quotas?: (appId: string) => Quotas;
  /** Called for every operation an admin makes, before it runs. */
  readonly audit?: ((caller: Caller, op: string, store: string) => void) | undefined;
  /** Told of acquire outcomes and force-releases; transports report their requests to it too. */
  readonly observe?: ServiceObserver | undefined;
}

/** Key scopes kept per store; past this many app ids the cache starts over. */
const MAX_SCOPES_PER_STORE = 1_024;

/**
 * What every primitive's service shares: the configured stores, the limits and quotas, the admin
 * audit, the observer, and this server's per-app counts of waiting acquires and open watches.
 */
export class ServiceContext {
  readonly limits: Limits;
  /** Where transports report finished requests (see ServiceObserver); undefined when unobserved. */
  readonly observer: ServiceObserver | undefined;
  /** The quotas of an app, as configured now. */
  readonly quotasOf: (appId: string) => Quotas;
  /** Waiting acquires per app on this server (the `waiters` quota). */
  readonly waiters = new AppCounts();
  /** Open watches per app on this server (the `watchers` quota). */
  readonly watchers = new AppCounts();
  private readonly stores = new Map<string, StoreBinding>();
  private readonly audit: ServiceOptions['audit'];
  /** Each store's key scopes by app id, made once: a scope per call built its strings per call. */
  private readonly scopes = new Map<StoreBinding, Map<string, KeyScope>>();

  constructor(stores: readonly StoreBinding[], options: ServiceOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const binding of stores) this.stores.set(binding.name, binding);
    this.quotasOf = options.quotas ?? (() => DEFAULT_QUOTAS);
    this.audit = options.audit;
    this.observer = options.observe;
  }

  /** Every store binding, in configuration order. */
  bindings(): StoreBinding[] {
    return [...this.stores.values()];
  }

  /** The binding of a store, or undefined (the Dapr API answers a missing store its own way). */
  find(storeName: string): StoreBinding | undefined {
    return this.stores.get(storeName);
  }

  /** The binding of a store, or STORE_NOT_FOUND. */
  binding(storeName: string): StoreBinding {
    const binding = this.stores.get(storeName);
    if (!binding) {
      throw new LeaseholdError('STORE_NOT_FOUND', `store: ${storeName} is not configured`, {
        field: 'store',
      });
    }
    return binding;
  }

  /** The binding an operation works on, audited when an admin calls. */
  target(caller: Caller, storeName: string, op: string): StoreBinding {
    const binding = this.binding(storeName);
    this.audited(caller, op, storeName);
    return binding;
  }

  /** Tells the audit of an admin's operation; an app's operations are not audited. */
  audited(caller: Caller, op: string, storeName: string): void {
    if (caller.role === 'admin') this.audit?.(caller, op, storeName);
  }

  /** The caller's key space in a store. */
  scopeOf(caller: Caller, binding: StoreBinding): KeyScope {
    let byApp = this.scopes.get(binding);
    if (!byApp) this.scopes.set(binding, (byApp = new Map<string, KeyScope>()));
    let scope = byApp.get(caller.appId);
    if (!scope) {
      if (byApp.size >= MAX_SCOPES_PER_STORE) byApp.clear(); // an admin may act as any app id
      scope = new KeyScope(binding.keyPrefix, caller.appId, binding.name);
      byApp.set(caller.appId, scope);
    }
    return scope;
  }
}

/** Counts one for `appId` in `counts` until the returned function is called; calling it again does nothing. */
export function holdCount(counts: AppCounts, appId: string): () => void {
  counts.add(appId, 1);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    counts.add(appId, -1);
  };
}

/** Runs a waiting acquire counted against the caller's waiter quota on this server. */
export async function countedWait<T>(
  context: ServiceContext,
  caller: Caller,
  work: () => Promise<T>,
): Promise<T> {
  const { waiters, quotasOf } = context;
  checkQuota(caller.appId, quotasOf(caller.appId), 'waiters', waiters.of(caller.appId));
  const done = holdCount(waiters, caller.appId);
  try {
    return await work();
  } finally {
    done();
  }
}
