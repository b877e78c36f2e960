import type { QuotaName } from '../quotas.js';
import { checkQuota, limitsStoredState } from '../quotas.js';
import type { StoreBinding } from '../store-binding.js';
import type { Caller } from '../tenancy.js';
import type { Usage } from '../types.js';
import type { ServiceContext } from './service-context.js';

/** A quota check: undefined when it passed synchronously, else the promise of its verdict. */
export type Checked = Promise<void> | undefined;

/**
 * Refuses a change that would take the app past a stored-state quota. Synchronous when no quota
 * applies or the store reads usage synchronously, so requests pipelined on one connection still
 * reach the store in order.
 */
export function checkStored(
  context: ServiceContext,
  caller: Caller,
  binding: StoreBinding,
  names: readonly QuotaName[],
): Checked {
  const quotas = context.quotasOf(caller.appId);
  if (!limitsStoredState(quotas, names)) return undefined;
  return withUsage(context, caller, binding, {}, (usage) => {
    for (const name of names) checkQuota(caller.appId, quotas, name, usage[name as keyof Usage] as number);
  });
}

/** Refuses a put that would pass the app's key or byte quota; rewriting a key counts only the difference. */
export function checkKvQuota(
  context: ServiceContext,
  caller: Caller,
  binding: StoreBinding,
  kvKey: string,
  bytes: number,
): Checked {
  const quotas = context.quotasOf(caller.appId);
  if (!limitsStoredState(quotas, ['keys', 'keyBytes'])) return undefined;
  return withUsage(context, caller, binding, { kvKey }, (usage) => {
    const existing = usage.kvKeyBytes;
    if (existing === undefined) checkQuota(caller.appId, quotas, 'keys', usage.keys);
    checkQuota(caller.appId, quotas, 'keyBytes', usage.keyBytes - (existing ?? 0), bytes);
  });
}

/** Refuses a new counter past the app's counter quota; an existing one may always change. */
export function checkCounterQuota(
  context: ServiceContext,
  caller: Caller,
  binding: StoreBinding,
  counter: string,
): Checked {
  const quotas = context.quotasOf(caller.appId);
  if (!limitsStoredState(quotas, ['counters'])) return undefined;
  return withUsage(context, caller, binding, { counter }, (usage) => {
    if (usage.counterExists !== true) checkQuota(caller.appId, quotas, 'counters', usage.counters);
  });
}

/** Reads the caller's usage (with `probe`) and runs `check` on it, synchronously when it can. */
function withUsage(
  context: ServiceContext,
  caller: Caller,
  binding: StoreBinding,
  probe: { kvKey?: string; counter?: string },
  check: (usage: Usage) => void,
): Checked {
  if (!binding.store.usage) return undefined;
  const scope = context.scopeOf(caller, binding).tenant;
  const usage = binding.store.usage({ app: caller.appId, scope, ...probe });
  if (usage instanceof Promise) return usage.then(check);
  check(usage);
  return undefined;
}
