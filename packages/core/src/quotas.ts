import { LeaseholdError, invalidArgument } from './errors.js';
import type { Usage } from './types.js';

/** What one app may hold at once. `Infinity` is no limit. */
export interface Quotas {
  /** Live leases granted by the app (Dapr locks' implicit leases included), in the store. */
  readonly leases: number;
  /** Locks held by the app's leases, in the store. */
  readonly locks: number;
  /** KV keys in the app's key scope, in the store. */
  readonly keys: number;
  /** UTF-8 bytes of those keys' values. */
  readonly keyBytes: number;
  /** Counters in the app's key scope, in the store. */
  readonly counters: number;
  /** Open watches of the app on this server. */
  readonly watchers: number;
  /** Waiting acquires of the app on this server. */
  readonly waiters: number;
}

/** The quota names, as they appear in config, errors and metrics. */
export const QUOTA_NAMES = [
  'leases',
  'locks',
  'keys',
  'keyBytes',
  'counters',
  'watchers',
  'waiters',
] as const;

/** One quota's name. */
export type QuotaName = (typeof QUOTA_NAMES)[number];

/** Server-wide defaults: stored state is unlimited unless configured; per-server resources are bounded. */
export const DEFAULT_QUOTAS: Quotas = {
  leases: Infinity,
  locks: Infinity,
  keys: Infinity,
  keyBytes: Infinity,
  counters: Infinity,
  watchers: 10_000,
  waiters: 10_000,
};

/**
 * Reads a partial quota mapping (`{leases: 100, keyBytes: 1048576}`), as a token file or a flag
 * gives it; unknown names and values that are not non-negative integers name the field.
 */
export function parseQuotas(input: unknown, field: string): Partial<Quotas> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidArgument(field, `must be a mapping of ${QUOTA_NAMES.join(', ')}`);
  }
  const out: Partial<Record<QuotaName, number>> = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (!(QUOTA_NAMES as readonly string[]).includes(name)) {
      throw invalidArgument(`${field}.${name}`, `unknown quota; known: ${QUOTA_NAMES.join(', ')}`);
    }
    const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
      throw invalidArgument(`${field}.${name}`, `must be a non-negative integer, got ${String(value)}`);
    }
    out[name as QuotaName] = number;
  }
  return out;
}

/** The 429 of a quota that a change would pass; nothing has been changed. */
export function quotaExceeded(appId: string, name: QuotaName, limit: number, held: number): LeaseholdError {
  return new LeaseholdError('QUOTA_EXCEEDED', `${name}: app ${appId} holds ${held}, its quota is ${limit}`, {
    field: name,
  });
}

/** Checks that adding `more` to `held` stays within the quota. */
export function checkQuota(appId: string, quotas: Quotas, name: QuotaName, held: number, more = 1): void {
  const limit = quotas[name];
  if (held + more > limit) throw quotaExceeded(appId, name, limit, held);
}

/** True when any stored-state quota is finite, so the store's usage must be read. */
export function limitsStoredState(quotas: Quotas, names: readonly QuotaName[]): boolean {
  return names.some((name) => Number.isFinite(quotas[name]));
}

/** Usage as metrics report it: the stored-state part of Usage. */
export type StoredUsage = Pick<Usage, 'leases' | 'locks' | 'keys' | 'keyBytes' | 'counters'>;
