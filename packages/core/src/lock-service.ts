import type { DaprTryLockRequest, DaprUnlockRequest } from './dapr-request.js';
import { DaprLocks } from './dapr-locks.js';
import { LeaseholdError, invalidArgument } from './errors.js';
import type { KvPage } from './kv-list.js';
import { listKeyPage, parseKvListQuery } from './kv-list.js';
import { KeyScope } from './key-scope.js';
import type { Limits } from './limits.js';
import {
  DEFAULT_LIMITS,
  WELL_FORMED,
  checkBoundedString,
  checkInteger,
  checkName,
  checkOptionalInteger,
  checkOptionalString,
} from './limits.js';
import type { AppLockView, QueueView, StoreOverview, StoreSummary } from './operator-views.js';
import {
  buildOverview,
  capabilitiesOf,
  labelLease,
  labelLock,
  readStoreKey,
  visibleQueue,
} from './operator-views.js';
import type { QuotaName, Quotas } from './quotas.js';
import { DEFAULT_QUOTAS, checkQuota, limitsStoredState } from './quotas.js';
import type { AcquireOutcome, ServiceObserver } from './service-observer.js';
import type { Unsubscribe } from './store.js';
import { capability } from './store.js';
import type { StoreBinding } from './store-binding.js';
import type { Caller } from './tenancy.js';
import { leaseAppOf, visibleEvent, visibleHolder, visibleLock } from './tenancy.js';
import type { AcquireResult, LockInfo, ReleaseStatus, UnlockStatus, Usage, WatchEvent } from './types.js';

export type { Caller } from './tenancy.js';

/** What the service reports about admins and apps, for the server's log. */
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

/** What a lock looks like to its app: names, not store keys. */
export type LockView = Omit<LockInfo, 'key'> & { readonly name: string };

/** The outcome of an acquire as its caller sees it: another app's holder shows its owner at most. */
export type AcquireView =
  | Extract<AcquireResult, { acquired: true }>
  | { readonly acquired: false; readonly holder?: ReturnType<typeof visibleHolder> };

/** A watch event as its app sees it. */
export type WatchView = Omit<WatchEvent, 'key'> & { readonly key: string; readonly kind?: 'lock' | 'kv' };

type Body = Record<string, unknown>;

function asBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LeaseholdError('INVALID_ARGUMENT', 'body: must be a JSON object', { field: 'body' });
  }
  return body as Body;
}

/**
 * The service every transport calls: validation, limits, tenancy and the Dapr mapping live
 * here once. Transports decode, call, and encode.
 */
export class LockService {
  readonly limits: Limits;
  /** Where transports report finished requests (see ServiceObserver); undefined when unobserved. */
  readonly observer: ServiceObserver | undefined;
  private readonly stores = new Map<string, StoreBinding>();
  private readonly waitersByApp = new Map<string, number>();
  private readonly watchersByApp = new Map<string, number>();
  private readonly dapr: DaprLocks;
  private readonly quotasOf: (appId: string) => Quotas;
  private readonly audit: ((caller: Caller, op: string, store: string) => void) | undefined;

  constructor(stores: readonly StoreBinding[], options: ServiceOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const binding of stores) this.stores.set(binding.name, binding);
    this.quotasOf = options.quotas ?? (() => DEFAULT_QUOTAS);
    this.audit = options.audit;
    this.observer = options.observe;
    this.dapr = new DaprLocks(this.stores, this.limits, (caller, binding) =>
      this.checkStored(caller, binding, ['leases', 'locks']),
    );
  }

  /** The configured stores, as Dapr's metadata lists its components. */
  listStores(): { name: string; type: string }[] {
    return [...this.stores.values()].map(({ name, type }) => ({ name, type }));
  }

  /** The stores any caller may use, with what each can do (`GET /v1/stores`). */
  storesFor(caller: Caller): StoreSummary[] {
    if (caller.role === 'admin') this.audit?.(caller, 'listStores', '*');
    return this.bindings().map(({ name, type, store }) => ({
      name,
      type,
      capabilities: capabilitiesOf(store),
    }));
  }

  /** Every store binding, for health checks and shutdown. */
  bindings(): StoreBinding[] {
    return [...this.stores.values()];
  }

  /** What an app holds in each store, for metrics; undefined for a store that cannot say or failed. */
  async usage(appId: string): Promise<{ store: string; usage: Usage | undefined }[]> {
    return Promise.all(
      this.bindings().map(async (binding) => {
        const scope = new KeyScope(binding.keyPrefix, appId, binding.name);
        const usage = binding.store.usage
          ? await Promise.resolve()
              .then(() => binding.store.usage!({ app: appId, scope: scope.tenant }))
              .catch(() => undefined)
          : undefined;
        return { store: binding.name, usage };
      }),
    );
  }

  /** Open watches and waiting acquires of an app on this server. */
  serverUsage(appId: string): { watchers: number; waiters: number } {
    return { watchers: this.watchersByApp.get(appId) ?? 0, waiters: this.waitersByApp.get(appId) ?? 0 };
  }

  // ---- Dapr API (checks in Dapr's order live in DaprLocks) --------------------------------

  /** Dapr TryLock. */
  async daprTryLock(caller: Caller, storeName: string, request: DaprTryLockRequest): Promise<AcquireResult> {
    const result = await this.dapr.tryLock(caller, storeName, request);
    this.observer?.acquireDone(storeName, result.acquired ? 'granted' : 'refused', undefined);
    return result;
  }

  /** Dapr Unlock. */
  daprUnlock(caller: Caller, storeName: string, request: DaprUnlockRequest): Promise<UnlockStatus> {
    return this.dapr.unlock(caller, storeName, request);
  }

  // ---- Leases ----------------------------------------------------------------------------

  /** Grants a lease owned by the caller's app. */
  async grantLease(caller: Caller, storeName: string, body: unknown): Promise<{ id: string; ttlMs: number }> {
    const binding = this.target(caller, storeName, 'grantLease');
    const input = asBody(body);
    const ttlMs = checkInteger('ttlMs', input.ttlMs, this.limits.minTtlMs, this.limits.maxTtlMs);
    const owner = checkOptionalString('owner', input.owner, this.limits.ownerMaxBytes);
    const checked = this.checkStored(caller, binding, ['leases']);
    if (checked) await checked;
    const lease = await binding.store.leases.grant({
      ttlMs,
      app: caller.appId,
      ...(owner === undefined ? {} : { owner }),
    });
    return { id: lease.id, ttlMs: lease.ttlMs };
  }

  /** Renews a lease; LEASE_NOT_FOUND when it is gone or another app's. */
  async keepAlive(
    caller: Caller,
    storeName: string,
    leaseId: unknown,
  ): Promise<{ id: string; ttlMs: number }> {
    const { store } = this.target(caller, storeName, 'keepAlive');
    const id = this.leaseId(leaseId);
    const lease = await store.leases.keepAlive(id, leaseAppOf(caller));
    if (!lease) throw leaseNotFound(id);
    return { id: lease.id, ttlMs: lease.ttlMs };
  }

  /** Revokes a lease; idempotent. Another app's lease reads as already gone. */
  async revokeLease(caller: Caller, storeName: string, leaseId: unknown): Promise<{ revoked: boolean }> {
    const { store } = this.target(caller, storeName, 'revokeLease');
    return { revoked: await store.leases.revoke(this.leaseId(leaseId), leaseAppOf(caller)) };
  }

  /** Describes a lease with the names of its locks and keys in the caller's scope. */
  async getLease(caller: Caller, storeName: string, leaseId: unknown) {
    const binding = this.target(caller, storeName, 'getLease');
    const scope = this.scopeOf(caller, binding);
    const id = this.leaseId(leaseId);
    const lease = await binding.store.leases.get(id, leaseAppOf(caller));
    if (!lease) throw leaseNotFound(id);
    const names = (keys: readonly string[]) => keys.flatMap((k) => scope.unscope(k)?.name ?? []);
    return {
      id: lease.id,
      ttlMs: lease.ttlMs,
      ...(lease.owner === undefined ? {} : { owner: lease.owner }),
      ...(lease.app === undefined ? {} : { app: lease.app }),
      remainingMs: lease.remainingMs,
      locks: names(lease.locks),
      keys: names(lease.keys),
    };
  }

  /**
   * Lists every app's live leases (admin only: leases belong to no one app's key space), with
   * the names of their locks and keys, each read in the key space it lives in.
   */
  async listLeases(caller: Caller, storeName: string) {
    if (caller.role !== 'admin') throw new LeaseholdError('FORBIDDEN', 'listing leases needs an admin token');
    const binding = this.target(caller, storeName, 'listLeases');
    const { leases: store } = binding.store;
    if (!store.list) throw new LeaseholdError('NOT_SUPPORTED', `store: ${storeName} cannot list leases`);
    const leases = await store.list(this.limits.listMax);
    return leases.map((lease) => labelLease(binding.keyPrefix, lease));
  }

  // ---- Locks -----------------------------------------------------------------------------

  /** Acquires a lock on one of the caller's leases, waiting up to `waitMs` in FIFO order. */
  async acquire(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<AcquireView> {
    const binding = this.target(caller, storeName, 'acquire');
    const scope = this.scopeOf(caller, binding);
    const input = asBody(body);
    const name = this.name('name', input.name);
    const leaseId = this.leaseId(input.leaseId);
    const waitMs = checkOptionalInteger('waitMs', input.waitMs, 0, this.limits.maxWaitMs) ?? 0;
    const maxHoldMs = checkOptionalInteger('maxHoldMs', input.maxHoldMs, 1, this.limits.maxTtlMs);
    const checked = this.checkStored(caller, binding, ['locks']);
    if (checked) await checked;
    const options = {
      key: scope.lock(name),
      leaseId,
      app: leaseAppOf(caller),
      waitMs,
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
      ...(signal ? { signal } : {}),
    };
    const started = waitMs > 0 && this.observer ? performance.now() : 0;
    const result =
      waitMs === 0
        ? await binding.store.locks.acquire(options)
        : await this.countedWait(caller, () => binding.store.locks.acquire(options));
    if (this.observer) {
      const waited = waitMs > 0 ? (performance.now() - started) / 1000 : undefined;
      this.observer.acquireDone(binding.name, acquireOutcome(result.acquired, waitMs, signal), waited);
    }
    if (result.acquired || !result.holder) return result;
    return { acquired: false, holder: visibleHolder(caller, result.holder) };
  }

  /** Releases a lock held by one of the caller's leases. */
  async release(caller: Caller, storeName: string, body: unknown): Promise<{ status: ReleaseStatus }> {
    const binding = this.target(caller, storeName, 'release');
    const scope = this.scopeOf(caller, binding);
    const input = asBody(body);
    const name = this.name('name', input.name);
    const leaseId = this.leaseId(input.leaseId);
    return { status: await binding.store.locks.release(scope.lock(name), leaseId, leaseAppOf(caller)) };
  }

  /** Releases a lock whoever holds it (admin only). */
  async forceRelease(caller: Caller, storeName: string, body: unknown): Promise<{ released: boolean }> {
    if (caller.role !== 'admin') throw new LeaseholdError('FORBIDDEN', 'force-release needs an admin token');
    const binding = this.target(caller, storeName, 'forceRelease');
    const name = this.name('name', asBody(body).name);
    const released = await binding.store.locks.forceRelease(this.scopeOf(caller, binding).lock(name));
    if (released) this.observer?.forceReleased(binding.name);
    return { released };
  }

  /** Describes one lock; another app's holding lease is not named. */
  async describeLock(caller: Caller, storeName: string, name: unknown): Promise<LockView> {
    const binding = this.target(caller, storeName, 'describeLock');
    const checked = this.name('name', name);
    const { key: _key, ...info } = await binding.store.locks.describe(
      this.scopeOf(caller, binding).lock(checked),
    );
    return visibleLock(caller, { name: checked, ...info });
  }

  /** Lists held locks whose name starts with `prefix`. */
  async listLocks(caller: Caller, storeName: string, prefix: unknown): Promise<LockView[]> {
    const binding = this.target(caller, storeName, 'listLocks');
    const scope = this.scopeOf(caller, binding);
    const text = prefix === undefined || prefix === '' ? '' : this.prefix(prefix);
    const locks = await binding.store.locks.list(scope.lock(text), this.limits.listMax);
    return locks.map(({ key, ...info }) =>
      visibleLock(caller, { name: scope.unscope(key)?.name ?? key, ...info }),
    );
  }

  /** Lists the held locks of every app whose name starts with `prefix`, labelled by app (admin only). */
  async listAllLocks(caller: Caller, storeName: string, prefix: unknown): Promise<AppLockView[]> {
    if (caller.role !== 'admin') {
      throw new LeaseholdError('FORBIDDEN', "listing every app's locks needs an admin token");
    }
    const binding = this.target(caller, storeName, 'listAllLocks');
    const text = prefix === undefined || prefix === '' ? '' : this.prefix(prefix);
    const locks = await binding.store.locks.list('lock||', this.limits.listMax);
    return locks.map((lock) => labelLock(binding.keyPrefix, lock)).filter((l) => l.name.startsWith(text));
  }

  /** The acquires waiting for a lock, head first; another app's waiters show only their place. */
  async describeQueue(
    caller: Caller,
    storeName: string,
    name: unknown,
  ): Promise<{ name: string; waiters: QueueView[] }> {
    const binding = this.target(caller, storeName, 'describeQueue');
    const checked = this.name('name', name);
    const { locks } = binding.store;
    if (!locks.queue) {
      throw new LeaseholdError('NOT_SUPPORTED', `store: ${storeName} cannot describe lock queues`);
    }
    const waiters = await locks.queue(this.scopeOf(caller, binding).lock(checked));
    return { name: checked, waiters: visibleQueue(caller, waiters) };
  }

  /** What the operator console shows of one store, scoped to the caller (every app for an admin). */
  overview(caller: Caller, storeName: string): Promise<StoreOverview> {
    const binding = this.target(caller, storeName, 'overview');
    const source = { ...binding, scope: this.scopeOf(caller, binding) };
    return buildOverview(caller, source, this.limits.listMax);
  }

  /** True while `token` is the lock's current grant: a sequencer check for downstream resources. */
  async checkLock(
    caller: Caller,
    storeName: string,
    name: unknown,
    token: unknown,
  ): Promise<{ valid: boolean }> {
    const binding = this.target(caller, storeName, 'checkLock');
    const checked = this.name('name', name);
    const value = checkInteger(
      'token',
      typeof token === 'string' && /^\d+$/.test(token) ? Number(token) : token,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    return { valid: await binding.store.locks.check(this.scopeOf(caller, binding).lock(checked), value) };
  }

  // ---- KV and counters -------------------------------------------------------------------

  /** Writes a value, optionally bound to one of the caller's leases, version-checked and fenced. */
  async put(
    caller: Caller,
    storeName: string,
    body: unknown,
  ): Promise<{ version: number; revision: number }> {
    const binding = this.target(caller, storeName, 'put');
    const scope = this.scopeOf(caller, binding);
    const input = asBody(body);
    const key = this.name('key', input.key);
    if (typeof input.value !== 'string') throw invalidArgument('value', 'must be a string');
    if (!input.value.isWellFormed()) throw invalidArgument('value', WELL_FORMED);
    const valueBytes = Buffer.byteLength(input.value, 'utf8');
    if (valueBytes > this.limits.valueMaxBytes) {
      throw invalidArgument('value', `must be at most ${this.limits.valueMaxBytes} bytes, got ${valueBytes}`);
    }
    const leaseId =
      input.leaseId === undefined || input.leaseId === null ? undefined : this.leaseId(input.leaseId);
    const ifVersion = checkOptionalInteger('ifVersion', input.ifVersion, 0, Number.MAX_SAFE_INTEGER);
    const fence = this.fence(input.fence, scope);
    const checked = this.checkKvQuota(caller, binding, scope.kv(key), valueBytes);
    if (checked) await checked;
    return capability(binding.store, 'kv', binding.name).put({
      key: scope.kv(key),
      value: input.value,
      app: leaseAppOf(caller),
      ...(leaseId === undefined ? {} : { leaseId }),
      ...(ifVersion === undefined ? {} : { ifVersion }),
      ...(fence === undefined ? {} : { fence }),
    });
  }

  /** Reads a value; KEY_NOT_FOUND when absent. Another app's binding lease is not named. */
  async get(caller: Caller, storeName: string, key: unknown) {
    const binding = this.target(caller, storeName, 'get');
    const checked = this.name('key', key);
    const entry = await capability(binding.store, 'kv', binding.name).get(
      this.scopeOf(caller, binding).kv(checked),
    );
    if (!entry) throw new LeaseholdError('KEY_NOT_FOUND', `key: ${checked} not found`, { field: 'key' });
    return visibleLock(caller, { ...entry, key: checked });
  }

  /** Lists the caller's keys under a name prefix a page at a time (`{prefix, after, limit}`, see kv-list). */
  async listKeys(caller: Caller, storeName: string, query: unknown): Promise<KvPage> {
    const binding = this.target(caller, storeName, 'listKeys');
    const input = parseKvListQuery(query, this.limits.nameMaxBytes);
    return listKeyPage(binding, this.scopeOf(caller, binding), caller, input);
  }

  /** Deletes a value; KEY_NOT_FOUND when absent. */
  async delete(caller: Caller, storeName: string, key: unknown): Promise<{ deleted: true }> {
    const binding = this.target(caller, storeName, 'delete');
    const checked = this.name('key', key);
    if (
      !(await capability(binding.store, 'kv', binding.name).delete(this.scopeOf(caller, binding).kv(checked)))
    ) {
      throw new LeaseholdError('KEY_NOT_FOUND', `key: ${checked} not found`, { field: 'key' });
    }
    return { deleted: true };
  }

  /** Adds to a counter. */
  async counterAdd(caller: Caller, storeName: string, body: unknown): Promise<{ value: number }> {
    const binding = this.target(caller, storeName, 'counterAdd');
    const input = asBody(body);
    const name = this.name('name', input.name);
    const delta = checkInteger('delta', input.delta, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const counter = this.scopeOf(caller, binding).counter(name);
    const checked = this.checkCounterQuota(caller, binding, counter);
    if (checked) await checked;
    return { value: await capability(binding.store, 'counters', binding.name).add(counter, delta) };
  }

  /** Reads a counter. */
  async counterGet(
    caller: Caller,
    storeName: string,
    name: unknown,
  ): Promise<{ name: string; value: number }> {
    const binding = this.target(caller, storeName, 'counterGet');
    const checked = this.name('name', name);
    return {
      name: checked,
      value: await capability(binding.store, 'counters', binding.name).get(
        this.scopeOf(caller, binding).counter(checked),
      ),
    };
  }

  /** Sets a counter. */
  async counterSet(caller: Caller, storeName: string, body: unknown): Promise<{ value: number }> {
    const binding = this.target(caller, storeName, 'counterSet');
    const input = asBody(body);
    const name = this.name('name', input.name);
    const value = checkInteger('value', input.value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const counter = this.scopeOf(caller, binding).counter(name);
    const checked = this.checkCounterQuota(caller, binding, counter);
    if (checked) await checked;
    await capability(binding.store, 'counters', binding.name).set(counter, value);
    return { value };
  }

  // ---- Watch -----------------------------------------------------------------------------

  /**
   * Streams lock and KV events under a name prefix in the caller's scope. Lease ids of other
   * apps are left out, and only the caller's own leases' expiries are shown. Counts against the
   * app's watcher quota until the returned function is called.
   */
  watch(
    caller: Caller,
    storeName: string,
    prefix: unknown,
    afterRevision: number | undefined,
    onEvent: (event: WatchView) => void,
  ): Unsubscribe {
    const binding = this.target(caller, storeName, 'watch');
    const scope = this.scopeOf(caller, binding);
    const text = prefix === undefined || prefix === '' ? '' : this.prefix(prefix);
    this.checkWatchers(caller);
    const unsubscribe = binding.store.watch.subscribe({
      prefix: '',
      ...(afterRevision === undefined ? {} : { afterRevision }),
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
    return this.countedWatch(caller, unsubscribe);
  }

  /**
   * Streams every app's lock and KV events, each named in its own key space and labelled by app
   * (admin only, audited): what the console's feed shows an operator.
   */
  watchAllApps(
    caller: Caller,
    storeName: string,
    afterRevision: number | undefined,
    onEvent: (event: WatchView & { readonly space?: string }) => void,
  ): Unsubscribe {
    if (caller.role !== 'admin') {
      throw new LeaseholdError('FORBIDDEN', "watching every app's events needs an admin token");
    }
    const binding = this.target(caller, storeName, 'watchAllApps');
    this.checkWatchers(caller);
    const unsubscribe = binding.store.watch.subscribe({
      prefix: '',
      ...(afterRevision === undefined ? {} : { afterRevision }),
      onEvent: (event) => {
        if (event.type === 'lease.expired') return onEvent(event);
        const read = readStoreKey(binding.keyPrefix, event.key);
        if (!read || (read.kind !== 'lock' && read.kind !== 'kv')) return;
        const space = read.space === undefined ? {} : { space: read.space };
        onEvent({ ...event, key: read.name, kind: read.kind, ...space });
      },
    });
    return this.countedWatch(caller, unsubscribe);
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Refuses a watch past the app's watcher quota on this server. */
  private checkWatchers(caller: Caller): void {
    const watching = this.watchersByApp.get(caller.appId) ?? 0;
    checkQuota(caller.appId, this.quotasOf(caller.appId), 'watchers', watching);
  }

  /** Counts an open watch against its app until the returned function (idempotent) ends it. */
  private countedWatch(caller: Caller, unsubscribe: Unsubscribe): Unsubscribe {
    bumpCount(this.watchersByApp, caller.appId, 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      bumpCount(this.watchersByApp, caller.appId, -1);
      unsubscribe();
    };
  }

  /** The binding of a store, or STORE_NOT_FOUND. */
  binding(storeName: string): StoreBinding {
    const binding = this.stores.get(storeName);
    if (!binding)
      throw new LeaseholdError('STORE_NOT_FOUND', `store: ${storeName} is not configured`, {
        field: 'store',
      });
    return binding;
  }

  /** The binding an operation works on, audited when an admin calls. */
  private target(caller: Caller, storeName: string, op: string): StoreBinding {
    const binding = this.binding(storeName);
    if (caller.role === 'admin') this.audit?.(caller, op, storeName);
    return binding;
  }

  private scopeOf(caller: Caller, binding: StoreBinding): KeyScope {
    return new KeyScope(binding.keyPrefix, caller.appId, binding.name);
  }

  /**
   * Refuses a change that would take the app past a stored-state quota. Synchronous when no
   * quota applies or the store reads usage synchronously, so requests pipelined on one
   * connection still reach the store in order.
   */
  private checkStored(caller: Caller, binding: StoreBinding, names: readonly QuotaName[]): Checked {
    const quotas = this.quotasOf(caller.appId);
    if (!limitsStoredState(quotas, names)) return undefined;
    return this.withUsage(caller, binding, {}, (usage) => {
      for (const name of names) checkQuota(caller.appId, quotas, name, usage[name as keyof Usage] as number);
    });
  }

  private checkKvQuota(caller: Caller, binding: StoreBinding, kvKey: string, bytes: number): Checked {
    const quotas = this.quotasOf(caller.appId);
    if (!limitsStoredState(quotas, ['keys', 'keyBytes'])) return undefined;
    return this.withUsage(caller, binding, { kvKey }, (usage) => {
      const existing = usage.kvKeyBytes;
      if (existing === undefined) checkQuota(caller.appId, quotas, 'keys', usage.keys);
      checkQuota(caller.appId, quotas, 'keyBytes', usage.keyBytes - (existing ?? 0), bytes);
    });
  }

  private checkCounterQuota(caller: Caller, binding: StoreBinding, counter: string): Checked {
    const quotas = this.quotasOf(caller.appId);
    if (!limitsStoredState(quotas, ['counters'])) return undefined;
    return this.withUsage(caller, binding, { counter }, (usage) => {
      if (usage.counterExists !== true) checkQuota(caller.appId, quotas, 'counters', usage.counters);
    });
  }

  /** Reads the caller's usage (with `probe`) and runs `check` on it, synchronously when it can. */
  private withUsage(
    caller: Caller,
    binding: StoreBinding,
    probe: { kvKey?: string; counter?: string },
    check: (usage: Usage) => void,
  ): Checked {
    if (!binding.store.usage) return undefined;
    const scope = this.scopeOf(caller, binding).tenant;
    const usage = binding.store.usage({ app: caller.appId, scope, ...probe });
    if (usage instanceof Promise) return usage.then(check);
    check(usage);
    return undefined;
  }

  /** Runs a waiting acquire counted against the caller's waiter quota on this server. */
  private async countedWait<T>(caller: Caller, work: () => Promise<T>): Promise<T> {
    const waiting = this.waitersByApp.get(caller.appId) ?? 0;
    checkQuota(caller.appId, this.quotasOf(caller.appId), 'waiters', waiting);
    bumpCount(this.waitersByApp, caller.appId, 1);
    try {
      return await work();
    } finally {
      bumpCount(this.waitersByApp, caller.appId, -1);
    }
  }

  private name(field: string, value: unknown): string {
    return checkName(field, value, this.limits.nameMaxBytes);
  }

  private prefix(value: unknown): string {
    return checkName('prefix', value, this.limits.nameMaxBytes);
  }

  private leaseId(value: unknown): string {
    return checkBoundedString('leaseId', value, 128);
  }

  private fence(value: unknown, scope: KeyScope): { key: string; token: number } | undefined {
    if (value === undefined || value === null) return undefined;
    const input = asBody(value);
    const lock = this.name('fence.lock', input.lock);
    const token = checkInteger('fence.token', input.token, 0, Number.MAX_SAFE_INTEGER);
    return { key: scope.lock(lock), token };
  }
}

/** A quota check: undefined when it passed synchronously. */
type Checked = Promise<void> | undefined;

/** The one answer for a lease that is missing, expired or another app's. */
function leaseNotFound(id: string): LeaseholdError {
  return new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${id} not found or expired`, {
    field: 'leaseId',
  });
}

/** How an acquire ended: a wait that ran out is timed_out, one its caller gave up is cancelled. */
function acquireOutcome(acquired: boolean, waitMs: number, signal: AbortSignal | undefined): AcquireOutcome {
  if (acquired) return 'granted';
  if (waitMs === 0) return 'refused';
  return signal?.aborted ? 'cancelled' : 'timed_out';
}

/** Adds `delta` to an app's count, dropping zero entries. */
function bumpCount(counts: Map<string, number>, appId: string, delta: number): void {
  const next = (counts.get(appId) ?? 0) + delta;
  if (next <= 0) counts.delete(appId);
  else counts.set(appId, next);
}
