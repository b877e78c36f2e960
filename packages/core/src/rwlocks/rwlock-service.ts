import { LeaseholdError, invalidArgument } from '../errors.js';
import { checkOptionalInteger } from '../limits.js';
import { asBody, readLeaseId, readName, readPrefix, readToken } from '../service/arguments.js';
import type { ServiceContext } from '../service/service-context.js';
import { countedWait } from '../service/service-context.js';
import { capability } from '../store.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf, visibleLock } from '../tenancy.js';
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
export class RwLockService {
  constructor(private readonly context: ServiceContext) {}

  /** Takes the lock for `read` or `write` on one of the caller's leases, waiting up to `waitMs`. */
  async acquire(
    caller: Caller,
    storeName: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<RwLockAcquireResult> {
    const { context } = this;
    const { rwlocks, key } = this.target(caller, storeName, 'rwlocks.acquire', body);
    const input = asBody(body);
    const leaseId = readLeaseId(input.leaseId);
    const mode = readMode(input.mode);
    const waitMs = checkOptionalInteger('waitMs', input.waitMs, 0, context.limits.maxWaitMs) ?? 0;
    const maxHoldMs = checkOptionalInteger('maxHoldMs', input.maxHoldMs, 1, context.limits.maxTtlMs);
    const options = {
      key,
      leaseId,
      app: leaseAppOf(caller),
      mode,
      waitMs,
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
      ...(signal ? { signal } : {}),
    };
    if (waitMs === 0) return rwlocks.acquire(options);
    return countedWait(context, caller, () => rwlocks.acquire(options));
  }

  /** Lets go the grant of one of the caller's leases; `not_held` when it holds none. */
  async release(caller: Caller, storeName: string, body: unknown): Promise<{ status: string }> {
    const { rwlocks, key } = this.target(caller, storeName, 'rwlocks.release', body);
    const leaseId = readLeaseId(asBody(body).leaseId);
    return { status: await rwlocks.release(key, leaseId, leaseAppOf(caller)) };
  }

  /** Describes one lock: its mode, holders and waiters. */
  async describe(caller: Caller, storeName: string, name: unknown): Promise<RwLockView> {
    const { rwlocks, key, scoped } = this.target(caller, storeName, 'rwlocks.describe', { name });
    const info = await rwlocks.describe(key);
    if (!info) throw new LeaseholdError('NOT_FOUND', `name: no read/write lock ${scoped}`, { field: 'name' });
    return view(caller, scoped, info);
  }

  /** Lists the locks whose name starts with `prefix`. */
  async list(caller: Caller, storeName: string, prefix: unknown): Promise<RwLockView[]> {
    const binding = this.context.target(caller, storeName, 'rwlocks.list');
    const rwlocks = capability(binding.store, 'rwlocks', storeName);
    const scope = this.context.scopeOf(caller, binding);
    const text = readPrefix(this.context.limits, prefix);
    const found = await rwlocks.list(scope.rwlock(text), this.context.limits.listMax);
    return found.map((info) => view(caller, scope.unscope(info.key)?.name ?? info.key, info));
  }

  /** True while `token` is a current grant of the lock: a check for downstream resources. */
  async check(caller: Caller, storeName: string, name: unknown, token: unknown): Promise<{ valid: boolean }> {
    const { rwlocks, key } = this.target(caller, storeName, 'rwlocks.check', { name });
    return { valid: await rwlocks.check(key, readToken(token)) };
  }

  /** The store's read/write locks (or NOT_SUPPORTED) and the scoped key of the body's `name`. */
  private target(caller: Caller, storeName: string, op: string, body: unknown) {
    const binding = this.context.target(caller, storeName, op);
    const rwlocks = capability(binding.store, 'rwlocks', storeName);
    const scoped = readName(this.context.limits, 'name', asBody(body).name);
    return { rwlocks, scoped, key: this.context.scopeOf(caller, binding).rwlock(scoped) };
  }
}

function readMode(value: unknown): RwLockMode {
  if (value === 'read' || value === 'write') return value;
  throw invalidArgument('mode', 'must be "read" or "write"');
}

function view(caller: Caller, name: string, info: RwLockInfo): RwLockView {
  const holders = info.holders.map((holder) => visibleLock(caller, holder));
  return { name, mode: info.mode, holders, waiters: info.waiters };
}
