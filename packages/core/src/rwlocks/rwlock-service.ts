import { LeaseholdError, invalidArgument } from '../errors.js';
import { asBody } from '../service/arguments.js';
import { PoolService } from '../service/pool-service.js';
import type { ServiceContext } from '../service/service-context.js';
import type { Caller } from '../tenancy.js';
import { visibleLock } from '../tenancy.js';
import type { RwLockAcquireResult, RwLockHolder, RwLockInfo, RwLockMode } from './rwlock-store.js';

/** A holder as a caller may see it: another app's lease id and app are left out. */
export type RwLockHolderView = Omit<RwLockHolder, 'leaseId' | 'app'> & {
  readonly leaseId?: string;
  readonly app?: string;
};

/** A read/write lock as its app sees it: its name, not its store key. */
export interface RwLockView {
  readonly name: string;
  readonly mode: RwLockMode | null;
  readonly holders: readonly RwLockHolderView[];
  readonly waiters: number;
}

/**
 * Read/write locks, checked and scoped: acquire in a mode (waiting in task-fair FIFO order,
 * counted against the app's waiter quota), release and inspect. A store without them answers
 * NOT_SUPPORTED saying why; an unknown name, or one of another app's key space, is NOT_FOUND.
 */
export class RwLockService extends PoolService<'rwlocks', RwLockInfo, RwLockView> {
  constructor(context: ServiceContext) {
    super(context, 'rwlocks', (scope, name) => scope.rwlock(name));
  }

  /** Takes the lock for `read` or `write` on one of the caller's leases, waiting up to `waitMs`. */
  async acquire(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<RwLockAcquireResult> {
    const { pools, key, store } = this.target(caller, storeName, 'acquire', body);
    const input = asBody(body);
    const options = { ...this.acquireBase(caller, key, input, signal), mode: readMode(input.mode) };
    return this.waitFor(caller, store, options, () => pools.acquire(options));
  }

  /** Describes one lock: its mode, holders and waiters. */
  async describe(caller: Caller, storeName: string, name: unknown): Promise<RwLockView> {
    const { pools, key, scoped } = this.target(caller, storeName, 'describe', { name });
    const info = await pools.describe(key);
    if (!info) throw new LeaseholdError('NOT_FOUND', `name: no read/write lock ${scoped}`, { field: 'name' });
    return this.view(caller, scoped, info);
  }

  protected view(caller: Caller, name: string, info: RwLockInfo): RwLockView {
    const holders = info.holders.map((holder) => visibleLock(caller, holder));
    return { name, mode: info.mode, holders, waiters: info.waiters };
  }
}

function readMode(value: unknown): RwLockMode {
  if (value === 'read' || value === 'write') return value;
  throw invalidArgument('mode', 'must be "read" or "write"');
}
