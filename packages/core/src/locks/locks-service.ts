import { LeaseholdError } from '../errors.js';
import { checkInteger, checkOptionalInteger } from '../limits.js';
import type { AppLockView, QueueView } from '../operator-views.js';
import { labelLock, visibleQueue } from '../operator-views.js';
import { asBody, readLeaseId, readName, readPrefix } from '../service/arguments.js';
import { checkStored } from '../service/quota-checks.js';
import type { ServiceContext } from '../service/service-context.js';
import { countedWait } from '../service/service-context.js';
import { acquireOutcome } from '../service-observer.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf, visibleHolder, visibleLock } from '../tenancy.js';
import type { AcquireResult, LockInfo, ReleaseStatus } from '../types.js';
import type { AcquireOptions } from './lock-store.js';

/** The quota an acquire checks, as one constant rather than an array per call. */
const LOCKS_QUOTA = ['locks'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What a lock looks like to its app: names, not store keys. */
export type LockView = Omit<LockInfo, 'key'> & { readonly name: string };

/** The outcome of an acquire as its caller sees it: another app's holder shows its owner at most. */
export type AcquireView =
  | Extract<AcquireResult, { acquired: true }>
  | { readonly acquired: false; readonly holder?: ReturnType<typeof visibleHolder> };

/**
 * Locks, checked and scoped: acquire (waiting in FIFO order, counted against the app's waiter
 * quota), release, inspect, and the admin's force-release and cross-app views.
 */
export class LocksService {
  constructor(private readonly context: ServiceContext) {}

  /** Acquires a lock on one of the caller's leases, waiting up to `waitMs` in FIFO order. */
  async acquire(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<AcquireView> {
    const { context } = this;
    const binding = context.target(caller, storeName, 'acquire');
    const input = asBody(body);
    const name = readName(context.limits, 'name', input.name);
    const leaseId = readLeaseId(input.leaseId);
    const waitMs = checkOptionalInteger('waitMs', input.waitMs, 0, context.limits.maxWaitMs) ?? 0;
    const maxHoldMs = checkOptionalInteger('maxHoldMs', input.maxHoldMs, 1, context.limits.maxTtlMs);
    const checked = checkStored(context, caller, binding, LOCKS_QUOTA);
    if (checked) await checked;
    // Optional fields set, not spread: two spreads cost two objects and a clone per acquire.
    const options: Mutable<AcquireOptions> = {
      key: context.scopeOf(caller, binding).lock(name),
      leaseId,
      app: leaseAppOf(caller),
      waitMs,
    };
    if (maxHoldMs !== undefined) options.maxHoldMs = maxHoldMs;
    if (signal) options.signal = signal;
    const { observer } = context;
    const started = waitMs > 0 && observer ? performance.now() : 0;
    const result =
      waitMs === 0
        ? await binding.store.locks.acquire(options)
        : await countedWait(context, caller, () => binding.store.locks.acquire(options));
    if (observer) {
      const waited = waitMs > 0 ? (performance.now() - started) / 1000 : undefined;
      observer.acquireDone(binding.name, acquireOutcome(result.acquired, waitMs, signal), waited);
    }
    if (result.acquired || !result.holder) return result;
    return { acquired: false, holder: visibleHolder(caller, result.holder) };
  }

  /** Releases a lock held by one of the caller's leases. */
  async release(caller: Caller, storeName: string, body: unknown): Promise<{ status: ReleaseStatus }> {
    const binding = this.context.target(caller, storeName, 'release');
    const input = asBody(body);
    const name = readName(this.context.limits, 'name', input.name);
    const leaseId = readLeaseId(input.leaseId);
    const key = this.context.scopeOf(caller, binding).lock(name);
    return { status: await binding.store.locks.release(key, leaseId, leaseAppOf(caller)) };
  }

  /** Releases a lock whoever holds it (admin only). */
  async forceRelease(caller: Caller, storeName: string, body: unknown): Promise<{ released: boolean }> {
    if (caller.role !== 'admin') throw new LeaseholdError('FORBIDDEN', 'force-release needs an admin token');
    const binding = this.context.target(caller, storeName, 'forceRelease');
    const name = readName(this.context.limits, 'name', asBody(body).name);
    const released = await binding.store.locks.forceRelease(this.context.scopeOf(caller, binding).lock(name));
    if (released) this.context.observer?.forceReleased(binding.name);
    return { released };
  }

  /** Describes one lock; another app's holding lease is not named. */
  async describe(caller: Caller, storeName: string, name: unknown): Promise<LockView> {
    const binding = this.context.target(caller, storeName, 'describeLock');
    const checked = readName(this.context.limits, 'name', name);
    const key = this.context.scopeOf(caller, binding).lock(checked);
    const { key: _key, ...info } = await binding.store.locks.describe(key);
    return visibleLock(caller, { name: checked, ...info });
  }

  /** Lists held locks whose name starts with `prefix`. */
  async list(caller: Caller, storeName: string, prefix: unknown): Promise<LockView[]> {
    const binding = this.context.target(caller, storeName, 'listLocks');
    const scope = this.context.scopeOf(caller, binding);
    const text = readPrefix(this.context.limits, prefix);
    const locks = await binding.store.locks.list(scope.lock(text), this.context.limits.listMax);
    return locks.map(({ key, ...info }) =>
      visibleLock(caller, { name: scope.unscope(key)?.name ?? key, ...info }),
    );
  }

  /** True while `token` is the lock's current grant: a sequencer check for downstream resources. */
  async check(caller: Caller, storeName: string, name: unknown, token: unknown): Promise<{ valid: boolean }> {
    const binding = this.context.target(caller, storeName, 'checkLock');
    const checked = readName(this.context.limits, 'name', name);
    // A query string carries the token as decimal text.
    const number = typeof token === 'string' && /^\d+$/.test(token) ? Number(token) : token;
    const value = checkInteger('token', number, 0, Number.MAX_SAFE_INTEGER);
    return {
      valid: await binding.store.locks.check(this.context.scopeOf(caller, binding).lock(checked), value),
    };
  }

  /** The acquires waiting for a lock, head first; another app's waiters show only their place. */
  async queue(
    caller: Caller,
    storeName: string,
    name: unknown,
  ): Promise<{ name: string; waiters: QueueView[] }> {
    const binding = this.context.target(caller, storeName, 'describeQueue');
    const checked = readName(this.context.limits, 'name', name);
    const { locks } = binding.store;
    if (!locks.queue) {
      throw new LeaseholdError('NOT_SUPPORTED', `store: ${storeName} cannot describe lock queues`);
    }
    const waiters = await locks.queue(this.context.scopeOf(caller, binding).lock(checked));
    return { name: checked, waiters: visibleQueue(caller, waiters) };
  }

  /** Lists the held locks of every app whose name starts with `prefix`, labelled by app (admin only). */
  async listAll(caller: Caller, storeName: string, prefix: unknown): Promise<AppLockView[]> {
    if (caller.role !== 'admin') {
      throw new LeaseholdError('FORBIDDEN', "listing every app's locks needs an admin token");
    }
    const binding = this.context.target(caller, storeName, 'listAllLocks');
    const text = readPrefix(this.context.limits, prefix);
    const locks = await binding.store.locks.list('lock||', this.context.limits.listMax);
    return locks.map((lock) => labelLock(binding.keyPrefix, lock)).filter((l) => l.name.startsWith(text));
  }
}
