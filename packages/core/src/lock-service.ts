import type { DaprTryLockRequest, DaprUnlockRequest } from './dapr-request.js';
import { DaprLocks } from './dapr-locks.js';
import { callServiceOp } from './service-ops.js';
import type { ServiceOp } from './service-ops.js';
import { LeaseholdError, invalidArgument } from './errors.js';
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
import type { Store, Unsubscribe } from './store.js';
import type { AcquireResult, LockInfo, ReleaseStatus, UnlockStatus, WatchEvent } from './types.js';

/** Who is calling: the app id from its token (or the server's), and its role. */
export interface Caller {
  readonly appId: string;
  readonly role: 'app' | 'admin';
}

/** A configured store: its component name, type and key-prefix strategy. */
export interface StoreBinding {
  readonly name: string;
  readonly type: string;
  readonly keyPrefix: string;
  readonly store: Store;
}

/** What a lock looks like to its app: names, not store keys. */
export type LockView = Omit<LockInfo, 'key'> & { readonly name: string };

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
  private readonly stores = new Map<string, StoreBinding>();
  private readonly waitersByApp = new Map<string, number>();
  private readonly dapr: DaprLocks;

  constructor(stores: readonly StoreBinding[], limits: Partial<Limits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    for (const binding of stores) this.stores.set(binding.name, binding);
    this.dapr = new DaprLocks(this.stores, this.limits);
  }

  /** Runs one operation by name (for transports that carry operation names). */
  call(
    caller: Caller,
    storeName: string,
    op: ServiceOp,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ) {
    return callServiceOp(this, caller, storeName, op, args, signal);
  }

  /** The configured stores. */
  listStores(): { name: string; type: string }[] {
    return [...this.stores.values()].map(({ name, type }) => ({ name, type }));
  }

  /** Every store binding, for health checks and shutdown. */
  bindings(): StoreBinding[] {
    return [...this.stores.values()];
  }

  // ---- Dapr API (checks in Dapr's order live in DaprLocks) --------------------------------

  /** Dapr TryLock. */
  daprTryLock(caller: Caller, storeName: string, request: DaprTryLockRequest): Promise<AcquireResult> {
    return this.dapr.tryLock(caller, storeName, request);
  }

  /** Dapr Unlock. */
  daprUnlock(caller: Caller, storeName: string, request: DaprUnlockRequest): Promise<UnlockStatus> {
    return this.dapr.unlock(caller, storeName, request);
  }

  // ---- Leases ----------------------------------------------------------------------------

  /** Grants a lease. */
  async grantLease(
    _caller: Caller,
    storeName: string,
    body: unknown,
  ): Promise<{ id: string; ttlMs: number }> {
    const { store } = this.binding(storeName);
    const input = asBody(body);
    const ttlMs = checkInteger('ttlMs', input.ttlMs, this.limits.minTtlMs, this.limits.maxTtlMs);
    const owner = checkOptionalString('owner', input.owner, this.limits.ownerMaxBytes);
    const lease = await store.grantLease({ ttlMs, ...(owner === undefined ? {} : { owner }) });
    return { id: lease.id, ttlMs: lease.ttlMs };
  }

  /** Renews a lease; LEASE_NOT_FOUND when it is gone. */
  async keepAlive(
    _caller: Caller,
    storeName: string,
    leaseId: unknown,
  ): Promise<{ id: string; ttlMs: number }> {
    const { store } = this.binding(storeName);
    const id = this.leaseId(leaseId);
    const lease = await store.keepAlive(id);
    if (!lease)
      throw new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${id} not found or expired`, {
        field: 'leaseId',
      });
    return { id: lease.id, ttlMs: lease.ttlMs };
  }

  /** Revokes a lease; idempotent. */
  async revokeLease(_caller: Caller, storeName: string, leaseId: unknown): Promise<{ revoked: boolean }> {
    const { store } = this.binding(storeName);
    return { revoked: await store.revokeLease(this.leaseId(leaseId)) };
  }

  /** Describes a lease with the names of its locks and keys in the caller's scope. */
  async getLease(caller: Caller, storeName: string, leaseId: unknown) {
    const { store, scope } = this.scoped(caller, storeName);
    const id = this.leaseId(leaseId);
    const lease = await store.getLease(id);
    if (!lease)
      throw new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${id} not found or expired`, {
        field: 'leaseId',
      });
    const names = (keys: readonly string[]) => keys.flatMap((k) => scope.unscope(k)?.name ?? []);
    return {
      id: lease.id,
      ttlMs: lease.ttlMs,
      ...(lease.owner === undefined ? {} : { owner: lease.owner }),
      remainingMs: lease.remainingMs,
      locks: names(lease.locks),
      keys: names(lease.keys),
    };
  }

  /** Lists live leases (admin only: leases belong to no one app's key space). */
  async listLeases(caller: Caller, storeName: string) {
    if (caller.role !== 'admin') throw new LeaseholdError('FORBIDDEN', 'listing leases needs an admin token');
    const { store, scope } = this.scoped(caller, storeName);
    if (!store.listLeases)
      throw new LeaseholdError('NOT_SUPPORTED', `store: ${storeName} cannot list leases`);
    const leases = await store.listLeases(this.limits.listMax);
    return leases.map((lease) => ({
      ...lease,
      locks: lease.locks.flatMap((k) => scope.unscope(k)?.name ?? []),
      keys: lease.keys.flatMap((k) => scope.unscope(k)?.name ?? []),
    }));
  }

  // ---- Locks -----------------------------------------------------------------------------

  /** Acquires a lock on a lease, waiting up to `waitMs` in FIFO order. */
  async acquire(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<AcquireResult> {
    const { store, scope } = this.scoped(caller, storeName);
    const input = asBody(body);
    const name = this.name('name', input.name);
    const leaseId = this.leaseId(input.leaseId);
    const waitMs = checkOptionalInteger('waitMs', input.waitMs, 0, this.limits.maxWaitMs) ?? 0;
    const maxHoldMs = checkOptionalInteger('maxHoldMs', input.maxHoldMs, 1, this.limits.maxTtlMs);
    const options = {
      key: scope.lock(name),
      leaseId,
      waitMs,
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
      ...(signal ? { signal } : {}),
    };
    if (waitMs === 0) return store.acquire(options);
    const waiting = this.waitersByApp.get(caller.appId) ?? 0;
    if (waiting >= this.limits.maxWaitersPerApp) {
      throw new LeaseholdError(
        'QUOTA_EXCEEDED',
        `waitMs: app ${caller.appId} already has ${waiting} waiting acquires, the limit`,
      );
    }
    this.waitersByApp.set(caller.appId, waiting + 1);
    try {
      return await store.acquire(options);
    } finally {
      const left = (this.waitersByApp.get(caller.appId) ?? 1) - 1;
      if (left <= 0) this.waitersByApp.delete(caller.appId);
      else this.waitersByApp.set(caller.appId, left);
    }
  }

  /** Releases a lock held by the lease. */
  async release(caller: Caller, storeName: string, body: unknown): Promise<{ status: ReleaseStatus }> {
    const { store, scope } = this.scoped(caller, storeName);
    const input = asBody(body);
    const name = this.name('name', input.name);
    const leaseId = this.leaseId(input.leaseId);
    return { status: await store.release(scope.lock(name), leaseId) };
  }

  /** Releases a lock whoever holds it (admin only). */
  async forceRelease(caller: Caller, storeName: string, body: unknown): Promise<{ released: boolean }> {
    if (caller.role !== 'admin') throw new LeaseholdError('FORBIDDEN', 'force-release needs an admin token');
    const { store, scope } = this.scoped(caller, storeName);
    const name = this.name('name', asBody(body).name);
    return { released: await store.forceRelease(scope.lock(name)) };
  }

  /** Describes one lock. */
  async describeLock(caller: Caller, storeName: string, name: unknown): Promise<LockView> {
    const { store, scope } = this.scoped(caller, storeName);
    const checked = this.name('name', name);
    const { key: _key, ...info } = await store.describeLock(scope.lock(checked));
    return { name: checked, ...info };
  }

  /** Lists held locks whose name starts with `prefix`. */
  async listLocks(caller: Caller, storeName: string, prefix: unknown): Promise<LockView[]> {
    const { store, scope } = this.scoped(caller, storeName);
    const text = prefix === undefined || prefix === '' ? '' : this.prefix(prefix);
    const locks = await store.listLocks(scope.lock(text), this.limits.listMax);
    return locks.map(({ key, ...info }) => ({ name: scope.unscope(key)?.name ?? key, ...info }));
  }

  /** True while `token` is the lock's current grant: a sequencer check for downstream resources. */
  async checkLock(
    caller: Caller,
    storeName: string,
    name: unknown,
    token: unknown,
  ): Promise<{ valid: boolean }> {
    const { store, scope } = this.scoped(caller, storeName);
    const checked = this.name('name', name);
    const value = checkInteger(
      'token',
      typeof token === 'string' && /^\d+$/.test(token) ? Number(token) : token,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    return { valid: await store.checkFence(scope.lock(checked), value) };
  }

  // ---- KV and counters -------------------------------------------------------------------

  /** Writes a value, optionally lease-bound, version-checked and fenced. */
  async put(
    caller: Caller,
    storeName: string,
    body: unknown,
  ): Promise<{ version: number; revision: number }> {
    const { store, scope } = this.scoped(caller, storeName);
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
    return store.put({
      key: scope.kv(key),
      value: input.value,
      ...(leaseId === undefined ? {} : { leaseId }),
      ...(ifVersion === undefined ? {} : { ifVersion }),
      ...(fence === undefined ? {} : { fence }),
    });
  }

  /** Reads a value; KEY_NOT_FOUND when absent. */
  async get(caller: Caller, storeName: string, key: unknown) {
    const { store, scope } = this.scoped(caller, storeName);
    const checked = this.name('key', key);
    const entry = await store.get(scope.kv(checked));
    if (!entry) throw new LeaseholdError('KEY_NOT_FOUND', `key: ${checked} not found`, { field: 'key' });
    return { ...entry, key: checked };
  }

  /** Deletes a value; KEY_NOT_FOUND when absent. */
  async delete(caller: Caller, storeName: string, key: unknown): Promise<{ deleted: true }> {
    const { store, scope } = this.scoped(caller, storeName);
    const checked = this.name('key', key);
    if (!(await store.delete(scope.kv(checked)))) {
      throw new LeaseholdError('KEY_NOT_FOUND', `key: ${checked} not found`, { field: 'key' });
    }
    return { deleted: true };
  }

  /** Adds to a counter. */
  async counterAdd(caller: Caller, storeName: string, body: unknown): Promise<{ value: number }> {
    const { store, scope } = this.scoped(caller, storeName);
    const input = asBody(body);
    const name = this.name('name', input.name);
    const delta = checkInteger('delta', input.delta, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    return { value: await store.counterAdd(scope.counter(name), delta) };
  }

  /** Reads a counter. */
  async counterGet(
    caller: Caller,
    storeName: string,
    name: unknown,
  ): Promise<{ name: string; value: number }> {
    const { store, scope } = this.scoped(caller, storeName);
    const checked = this.name('name', name);
    return { name: checked, value: await store.counterGet(scope.counter(checked)) };
  }

  /** Sets a counter. */
  async counterSet(caller: Caller, storeName: string, body: unknown): Promise<{ value: number }> {
    const { store, scope } = this.scoped(caller, storeName);
    const input = asBody(body);
    const name = this.name('name', input.name);
    const value = checkInteger('value', input.value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    await store.counterSet(scope.counter(name), value);
    return { value };
  }

  // ---- Watch -----------------------------------------------------------------------------

  /** Streams lock and KV events under a name prefix in the caller's scope. */
  watch(
    caller: Caller,
    storeName: string,
    prefix: unknown,
    afterRevision: number | undefined,
    onEvent: (event: WatchView) => void,
  ): Unsubscribe {
    const { store, scope } = this.scoped(caller, storeName);
    const text = prefix === undefined || prefix === '' ? '' : this.prefix(prefix);
    return store.watch({
      prefix: '',
      ...(afterRevision === undefined ? {} : { afterRevision }),
      onEvent: (event) => {
        if (event.type === 'lease.expired') {
          if (text === '') onEvent({ ...event, key: event.key });
          return;
        }
        const named = scope.unscope(event.key);
        if (!named || named.kind === 'counter' || !named.name.startsWith(text)) return;
        onEvent({ ...event, key: named.name, kind: named.kind });
      },
    });
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** The binding of a store, or STORE_NOT_FOUND. */
  binding(storeName: string): StoreBinding {
    const binding = this.stores.get(storeName);
    if (!binding)
      throw new LeaseholdError('STORE_NOT_FOUND', `store: ${storeName} is not configured`, {
        field: 'store',
      });
    return binding;
  }

  private scoped(caller: Caller, storeName: string): { store: Store; scope: KeyScope } {
    const binding = this.binding(storeName);
    return { store: binding.store, scope: new KeyScope(binding.keyPrefix, caller.appId, binding.name) };
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
