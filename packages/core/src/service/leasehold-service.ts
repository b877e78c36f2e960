import { CounterService } from '../counters/counter-service.js';
import { DaprService } from '../dapr/dapr-service.js';
import { KvService } from '../kv/kv-service.js';
import { LeaseService } from '../leases/lease-service.js';
import type { Limits } from '../limits.js';
import { LocksService } from '../locks/locks-service.js';
import { MultiLockService } from '../locks/multi-lock-service.js';
import type { StoreOverview, StoreSummary } from '../operator-views.js';
import { buildOverview, capabilitiesOf } from '../operator-views.js';
import { RwLockService } from '../rwlocks/rwlock-service.js';
import { SemaphoreService } from '../semaphores/semaphore-service.js';
import type { ServiceObserver } from '../service-observer.js';
import type { StoreBinding } from '../store-binding.js';
import type { Caller } from '../tenancy.js';
import type { Usage } from '../types.js';
import { WatchService } from '../watch/watch-service.js';
import type { ServiceOptions } from './service-context.js';
import { ServiceContext } from './service-context.js';

/**
 * The service every transport calls, one part per primitive (`service.locks.acquire(…)`), over one
 * shared context: validation, limits, tenancy and the Dapr mapping live in the parts, once.
 * Transports decode, call, and encode. What spans the stores is here.
 */
export class LeaseholdService {
  readonly leases: LeaseService;
  readonly locks: LocksService;
  /** All-or-nothing acquires of several locks; the ops are `locks.acquireAll` and `locks.releaseAll`. */
  readonly multiLocks: MultiLockService;
  readonly dapr: DaprService;
  readonly kv: KvService;
  readonly counters: CounterService;
  readonly semaphores: SemaphoreService;
  readonly rwlocks: RwLockService;
  readonly watch: WatchService;
  private readonly context: ServiceContext;

  constructor(stores: readonly StoreBinding[], options: ServiceOptions = {}) {
    const context = new ServiceContext(stores, options);
    this.context = context;
    this.leases = new LeaseService(context);
    this.locks = new LocksService(context);
    this.multiLocks = new MultiLockService(context);
    this.dapr = new DaprService(context);
    this.kv = new KvService(context);
    this.counters = new CounterService(context);
    this.semaphores = new SemaphoreService(context);
    this.rwlocks = new RwLockService(context);
    this.watch = new WatchService(context);
  }

  /** The input limits in force. */
  get limits(): Limits {
    return this.context.limits;
  }

  /** Where transports report finished requests (see ServiceObserver); undefined when unobserved. */
  get observer(): ServiceObserver | undefined {
    return this.context.observer;
  }

  /** The configured stores, as Dapr's metadata lists its components. */
  listStores(): { name: string; type: string }[] {
    return this.context.bindings().map(({ name, type }) => ({ name, type }));
  }

  /** The stores any caller may use, with what each can do (`GET /v1/stores`). */
  storesFor(caller: Caller): StoreSummary[] {
    this.context.audited(caller, 'listStores', '*');
    return this.context.bindings().map(({ name, type, store }) => ({
      name,
      type,
      capabilities: capabilitiesOf(store),
    }));
  }

  /** What the operator console shows of one store, scoped to the caller (every app for an admin). */
  overview(caller: Caller, storeName: string): Promise<StoreOverview> {
    const binding = this.context.target(caller, storeName, 'overview');
    const source = { ...binding, scope: this.context.scopeOf(caller, binding) };
    return buildOverview(caller, source, this.context.limits.listMax);
  }

  /** Every store binding, for health checks and shutdown. */
  bindings(): StoreBinding[] {
    return this.context.bindings();
  }

  /** The binding of a store, or STORE_NOT_FOUND. */
  binding(storeName: string): StoreBinding {
    return this.context.binding(storeName);
  }

  /** What an app holds in each store, for metrics; undefined for a store that cannot say or failed. */
  async usage(appId: string): Promise<{ store: string; usage: Usage | undefined }[]> {
    return Promise.all(
      this.context.bindings().map(async (binding) => {
        const { tenant } = this.context.scopeOf({ appId, role: 'app' }, binding);
        const usage = binding.store.usage
          ? await Promise.resolve()
              .then(() => binding.store.usage!({ app: appId, scope: tenant }))
              .catch(() => undefined)
          : undefined;
        return { store: binding.name, usage };
      }),
    );
  }

  /** Open watches and waiting acquires of an app on this server. */
  serverUsage(appId: string): { watchers: number; waiters: number } {
    return { watchers: this.context.watchers.of(appId), waiters: this.context.waiters.of(appId) };
  }
}
