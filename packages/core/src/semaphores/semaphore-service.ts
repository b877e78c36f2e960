import { LeaseholdError } from '../errors.js';
import { checkInteger, checkOptionalInteger } from '../limits.js';
import { asBody, readLeaseId, readName, readPrefix, readToken } from '../service/arguments.js';
import type { ServiceContext } from '../service/service-context.js';
import { countedWait } from '../service/service-context.js';
import type { StoreBinding } from '../store-binding.js';
import { capability } from '../store.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf, visibleLock } from '../tenancy.js';
import type { PermitAcquireResult, PermitHolder, SemaphoreInfo } from './semaphore-store.js';

/** The largest limit a semaphore may have (design §0). */
export const SEMAPHORE_LIMIT_MAX = 65_535;

/** A holder as a caller may see it: another app's lease id and app are left out. */
export type PermitHolderView = Omit<PermitHolder, 'leaseId' | 'app'> & {
  readonly leaseId?: string;
  readonly app?: string;
};

/** A semaphore as its app sees it: its name, not its store key. */
export interface SemaphoreView {
  readonly name: string;
  readonly limit: number;
  readonly used: number;
  readonly holders: readonly PermitHolderView[];
  readonly waiters: number;
}

/**
 * Counting semaphores, checked and scoped: acquire (waiting in FIFO order, counted against the
 * app's waiter quota), release, inspect and resize. A store without semaphores answers NOT_SUPPORTED
 * saying why; an unknown name, or one of another app's key space, is NOT_FOUND.
 */
export class SemaphoreService {
  constructor(private readonly context: ServiceContext) {}

  /** Takes `permits` (default 1) on one of the caller's leases, waiting up to `waitMs` in FIFO order. */
  async acquire(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<PermitAcquireResult> {
    const { context } = this;
    const { semaphores, key } = this.target(caller, storeName, 'semaphores.acquire', body);
    const input = asBody(body);
    const leaseId = readLeaseId(input.leaseId);
    const limit = checkOptionalInteger('limit', input.limit, 1, SEMAPHORE_LIMIT_MAX);
    const permits = checkOptionalInteger('permits', input.permits, 1, limit ?? SEMAPHORE_LIMIT_MAX) ?? 1;
    const waitMs = checkOptionalInteger('waitMs', input.waitMs, 0, context.limits.maxWaitMs) ?? 0;
    const maxHoldMs = checkOptionalInteger('maxHoldMs', input.maxHoldMs, 1, context.limits.maxTtlMs);
    const options = {
      key,
      leaseId,
      app: leaseAppOf(caller),
      permits,
      waitMs,
      ...(limit === undefined ? {} : { limit }),
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
      ...(signal ? { signal } : {}),
    };
    if (waitMs === 0) return semaphores.acquire(options);
    return countedWait(context, caller, () => semaphores.acquire(options));
  }

  /** Lets go the grant of one of the caller's leases; `not_held` when it holds none. */
  async release(caller: Caller, storeName: string, body: unknown): Promise<{ status: string }> {
    const { semaphores, key } = this.target(caller, storeName, 'semaphores.release', body);
    const leaseId = readLeaseId(asBody(body).leaseId);
    return { status: await semaphores.release(key, leaseId, leaseAppOf(caller)) };
  }

  /** Describes one semaphore: limit, permits used, holders and waiters. */
  async describe(caller: Caller, storeName: string, name: unknown): Promise<SemaphoreView> {
    const { semaphores, key, scoped } = this.target(caller, storeName, 'semaphores.describe', { name });
    const info = await semaphores.describe(key);
    if (!info) throw notFound(scoped);
    return this.view(caller, scoped, info);
  }

  /** Lists the semaphores whose name starts with `prefix`. */
  async list(caller: Caller, storeName: string, prefix: unknown): Promise<SemaphoreView[]> {
    const binding = this.context.target(caller, storeName, 'semaphores.list');
    const semaphores = capability(binding.store, 'semaphores', storeName);
    const scope = this.context.scopeOf(caller, binding);
    const text = readPrefix(this.context.limits, prefix);
    const found = await semaphores.list(scope.semaphore(text), this.context.limits.listMax);
    return found.map((info) => this.view(caller, scope.unscope(info.key)?.name ?? info.key, info));
  }

  /** True while `token` is a current grant of the semaphore: a check for downstream resources. */
  async check(caller: Caller, storeName: string, name: unknown, token: unknown): Promise<{ valid: boolean }> {
    const { semaphores, key } = this.target(caller, storeName, 'semaphores.check', { name });
    return { valid: await semaphores.check(key, readToken(token)) };
  }

  /** Sets a semaphore's limit (creating it, kept while idle); `ifLimit` guards against a race. */
  async setLimit(caller: Caller, storeName: string, body: unknown): Promise<SemaphoreView> {
    const { semaphores, key, scoped } = this.target(caller, storeName, 'semaphores.setLimit', body);
    const input = asBody(body);
    const limit = checkInteger('limit', input.limit, 1, SEMAPHORE_LIMIT_MAX);
    const ifLimit = checkOptionalInteger('ifLimit', input.ifLimit, 1, SEMAPHORE_LIMIT_MAX);
    return this.view(caller, scoped, await semaphores.setLimit(key, limit, ifLimit));
  }

  /** The store, its semaphores (or NOT_SUPPORTED) and the scoped key of the body's `name`. */
  private target(caller: Caller, storeName: string, op: string, body: unknown) {
    const binding: StoreBinding = this.context.target(caller, storeName, op);
    const semaphores = capability(binding.store, 'semaphores', storeName);
    const scoped = readName(this.context.limits, 'name', asBody(body).name);
    return { binding, semaphores, scoped, key: this.context.scopeOf(caller, binding).semaphore(scoped) };
  }

  private view(caller: Caller, name: string, info: SemaphoreInfo): SemaphoreView {
    const holders = info.holders.map((holder) => visibleLock(caller, holder));
    return { name, limit: info.limit, used: info.used, holders, waiters: info.waiters };
  }
}

function notFound(name: string): LeaseholdError {
  return new LeaseholdError('NOT_FOUND', `name: no semaphore ${name}`, { field: 'name' });
}
