import type { KeyScope } from '../key-scope.js';
import { checkOptionalInteger } from '../limits.js';
import { asBody, readLeaseId, readName, readPrefix, readToken } from './arguments.js';
import type { ServiceContext } from './service-context.js';
import { countedWait } from './service-context.js';
import { observePoolAcquire } from '../service-observer.js';
import type { Store } from '../store.js';
import { capability } from '../store.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf } from '../tenancy.js';
import type { LeaseApp } from '../types.js';

/** The primitives built on permit pools: one service shape, scoped by the key kind. */
export type PoolCapability = 'semaphores' | 'rwlocks';

/** What every pooled acquire carries beyond its own fields (mode, permits, limit). */
export interface PoolAcquireBase {
  readonly key: string;
  readonly leaseId: string;
  readonly app: LeaseApp;
  readonly waitMs: number;
  readonly maxHoldMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The verbs semaphores and read/write locks share: the scoped target, release, check, list and the
 * counted wait. Subclasses add acquire (their own fields) and their views; another app's name is
 * another key, so it reads as missing.
 */
export abstract class PoolService<C extends PoolCapability, Info extends { readonly key: string }, View> {
  protected constructor(
    protected readonly context: ServiceContext,
    private readonly capabilityName: C,
    private readonly scopeKey: (scope: KeyScope, name: string) => string,
  ) {}

  /** Lets go the grant of one of the caller's leases; `not_held` when it holds none. */
  async release(caller: Caller, storeName: string, body: unknown): Promise<{ status: string }> {
    const { pools, key } = this.target(caller, storeName, 'release', body);
    const leaseId = readLeaseId(asBody(body).leaseId);
    return { status: await pools.release(key, leaseId, leaseAppOf(caller)) };
  }

  /** Lists the caller's pools whose name starts with `prefix`. */
  async list(caller: Caller, storeName: string, prefix: unknown): Promise<View[]> {
    const binding = this.context.target(caller, storeName, `${this.capabilityName}.list`);
    const pools = capability(binding.store, this.capabilityName, storeName);
    const scope = this.context.scopeOf(caller, binding);
    const text = readPrefix(this.context.limits, prefix);
    // The subclass declares which Info its capability lists; TypeScript cannot pair the two generics.
    const found = (await pools.list(
      this.scopeKey(scope, text),
      this.context.limits.listMax,
    )) as unknown as Info[];
    return found.map((info) => this.view(caller, scope.unscope(info.key)?.name ?? info.key, info));
  }

  /** True while `token` is a current grant of the named pool: a check for downstream resources. */
  async check(caller: Caller, storeName: string, name: unknown, token: unknown): Promise<{ valid: boolean }> {
    const { pools, key } = this.target(caller, storeName, 'check', { name });
    return { valid: await pools.check(key, readToken(token)) };
  }

  /** How the caller sees one pool: its name, and other apps' leases left out. */
  protected abstract view(caller: Caller, name: string, info: Info): View;

  /** The store's pools (or NOT_SUPPORTED) and the scoped key of the body's `name`. */
  protected target(caller: Caller, storeName: string, verb: string, body: unknown) {
    const binding = this.context.target(caller, storeName, `${this.capabilityName}.${verb}`);
    const pools: NonNullable<Store[C]> = capability(binding.store, this.capabilityName, storeName);
    const scoped = readName(this.context.limits, 'name', asBody(body).name);
    const key = this.scopeKey(this.context.scopeOf(caller, binding), scoped);
    return { pools, scoped, key, store: binding.name };
  }

  /** The fields every acquire reads, checked, for one of the caller's leases. */
  protected acquireBase(caller: Caller, key: string, input: Record<string, unknown>, signal?: AbortSignal) {
    const { limits } = this.context;
    const leaseId = readLeaseId(input.leaseId);
    const waitMs = checkOptionalInteger('waitMs', input.waitMs, 0, limits.maxWaitMs) ?? 0;
    const maxHoldMs = checkOptionalInteger('maxHoldMs', input.maxHoldMs, 1, limits.maxTtlMs);
    const base: PoolAcquireBase = {
      key,
      leaseId,
      app: leaseAppOf(caller),
      waitMs,
      ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
      ...(signal ? { signal } : {}),
    };
    return base;
  }

  /**
   * Runs an acquire on `store`, counted against the app's waiter quota when it may wait, and tells
   * the observer how it ended and how long it waited.
   */
  protected waitFor<R extends { readonly acquired: boolean }>(
    caller: Caller,
    store: string,
    options: PoolAcquireBase,
    acquire: () => Promise<R>,
  ): Promise<R> {
    const kind = this.capabilityName === 'semaphores' ? 'semaphore' : 'rwlock';
    return observePoolAcquire(this.context.observer, { store, kind }, options, () =>
      options.waitMs === 0 ? acquire() : countedWait(this.context, caller, acquire),
    );
  }
}
