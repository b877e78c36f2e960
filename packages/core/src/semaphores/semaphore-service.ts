import { LeaseholdError } from '../errors.js';
import { checkInteger, checkOptionalInteger } from '../limits.js';
import { asBody } from '../service/arguments.js';
import { PoolService } from '../service/pool-service.js';
import type { ServiceContext } from '../service/service-context.js';
import type { Caller } from '../tenancy.js';
import { visibleLock } from '../tenancy.js';
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
export class SemaphoreService extends PoolService<'semaphores', SemaphoreInfo, SemaphoreView> {
  constructor(context: ServiceContext) {
    super(context, 'semaphores', (scope, name) => scope.semaphore(name));
  }

  /** Takes `permits` (default 1) on one of the caller's leases, waiting up to `waitMs` in FIFO order. */
  async acquire(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<PermitAcquireResult> {
    const { pools, key, store } = this.target(caller, storeName, 'acquire', body);
    const input = asBody(body);
    const base = this.acquireBase(caller, key, input, signal);
    const limit = checkOptionalInteger('limit', input.limit, 1, SEMAPHORE_LIMIT_MAX);
    const permits = checkOptionalInteger('permits', input.permits, 1, limit ?? SEMAPHORE_LIMIT_MAX) ?? 1;
    const options = { ...base, permits, ...(limit === undefined ? {} : { limit }) };
    return this.waitFor(caller, store, options, () => pools.acquire(options));
  }

  /** Describes one semaphore: limit, permits used, holders and waiters. */
  async describe(caller: Caller, storeName: string, name: unknown): Promise<SemaphoreView> {
    const { pools, key, scoped } = this.target(caller, storeName, 'describe', { name });
    const info = await pools.describe(key);
    if (!info) throw notFound(scoped);
    return this.view(caller, scoped, info);
  }

  /** Sets a semaphore's limit (creating it, kept while idle); `ifLimit` guards against a race. */
  async setLimit(caller: Caller, storeName: string, body: unknown): Promise<SemaphoreView> {
    const { pools, key, scoped } = this.target(caller, storeName, 'setLimit', body);
    const input = asBody(body);
    const limit = checkInteger('limit', input.limit, 1, SEMAPHORE_LIMIT_MAX);
    const ifLimit = checkOptionalInteger('ifLimit', input.ifLimit, 1, SEMAPHORE_LIMIT_MAX);
    return this.view(caller, scoped, await pools.setLimit(key, limit, ifLimit));
  }

  protected view(caller: Caller, name: string, info: SemaphoreInfo): SemaphoreView {
    const holders = info.holders.map((holder) => visibleLock(caller, holder));
    return { name, limit: info.limit, used: info.used, holders, waiters: info.waiters };
  }
}

function notFound(name: string): LeaseholdError {
  return new LeaseholdError('NOT_FOUND', `name: no semaphore ${name}`, { field: 'name' });
}
