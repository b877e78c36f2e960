import { idempotencyOf, readIdempotencyKey } from '../idempotency.js';
import { checkInteger } from '../limits.js';
import { asBody, readName } from '../service/arguments.js';
import { checkCounterQuota } from '../service/quota-checks.js';
import type { ServiceContext } from '../service/service-context.js';
import { capability } from '../store.js';
import type { Caller } from '../tenancy.js';

/** Counters, checked and scoped: named safe integers, a new one counted against the app's quota. */
export class CounterService {
  constructor(private readonly context: ServiceContext) {}

  /** Adds to a counter; with an `idempotencyKey`, at most once per key within IDEMPOTENCY_WINDOW_MS. */
  async add(caller: Caller, storeName: string, body: unknown): Promise<{ value: number }> {
    const binding = this.context.target(caller, storeName, 'counterAdd');
    const input = asBody(body);
    const name = readName(this.context.limits, 'name', input.name);
    const delta = checkInteger('delta', input.delta, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const counter = this.context.scopeOf(caller, binding).counter(name);
    const key = readIdempotencyKey(input.idempotencyKey);
    const idempotency = idempotencyOf(caller.appId, 'counters.add', counter, key, { delta });
    // Awaited only when the quota needs a read, so pipelined requests keep their order.
    const checked = checkCounterQuota(this.context, caller, binding, counter);
    if (checked) await checked;
    const counters = capability(binding.store, 'counters', binding.name);
    return { value: await counters.add(counter, delta, idempotency) };
  }

  /** Reads a counter. */
  async get(caller: Caller, storeName: string, name: unknown): Promise<{ name: string; value: number }> {
    const binding = this.context.target(caller, storeName, 'counterGet');
    const checked = readName(this.context.limits, 'name', name);
    const counter = this.context.scopeOf(caller, binding).counter(checked);
    return { name: checked, value: await capability(binding.store, 'counters', binding.name).get(counter) };
  }

  /** Sets a counter. */
  async set(caller: Caller, storeName: string, body: unknown): Promise<{ value: number }> {
    const binding = this.context.target(caller, storeName, 'counterSet');
    const input = asBody(body);
    const name = readName(this.context.limits, 'name', input.name);
    const value = checkInteger('value', input.value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const counter = this.context.scopeOf(caller, binding).counter(name);
    const checked = checkCounterQuota(this.context, caller, binding, counter);
    if (checked) await checked;
    await capability(binding.store, 'counters', binding.name).set(counter, value);
    return { value };
  }
}
