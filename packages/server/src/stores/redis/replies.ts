import { LeaseholdError, fencedNoun, idempotencyKeyReused } from '@leasehold/core';
import type {
  AcquireResult,
  LeaseDetail,
  LockHolder,
  LockInfo,
  PutOptions,
  Usage,
  WatchEvent,
} from '@leasehold/core';

/** The key prefix of one store's side keys; the braces keep them in one hash slot. */
export function storePrefix(storeName: string): string {
  return `leasehold:{${storeName}}:`;
}

/** A Lua array reply as strings and numbers. */
export type Reply = readonly (string | number)[];

/** Reads an acquire-style reply: {'ok', token, ...} or {'busy'|'queued', lease, owner, token, app, pttl}. */
export function acquireResult(reply: Reply): AcquireResult {
  if (reply[0] === 'ok') return { acquired: true, fencingToken: Number(reply[1]) };
  const holder = holderOf(reply);
  return holder ? { acquired: false, holder } : { acquired: false };
}

function holderOf(reply: Reply): LockHolder | undefined {
  const leaseId = String(reply[1] ?? '');
  if (leaseId === '') return undefined;
  const owner = String(reply[2] ?? '');
  const app = String(reply[4] ?? '');
  return {
    leaseId,
    fencingToken: Number(reply[3]),
    ...(owner === '' ? {} : { owner }),
    ...(app === '' ? {} : { app }),
  };
}

/** A counterAdd reply: the new value, or {first value} for a repeated idempotency key, or {'idemreused'}. */
export function counterValue(reply: unknown): number {
  if (!Array.isArray(reply)) return Number(reply);
  if (reply[0] === 'idemreused') throw idempotencyKeyReused();
  return Number(reply[0]);
}

/** The LEASE_NOT_FOUND error every operation uses. */
export function leaseNotFound(leaseId: string): LeaseholdError {
  return new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${leaseId} not found or expired`, {
    field: 'leaseId',
  });
}

/** The error for a refused put: 'nolease', 'fenced', 'idemreused' or 'version' (the key then at `current`). */
export function putRefusal(refusal: unknown, options: PutOptions, current: unknown): LeaseholdError {
  if (refusal === 'nolease') return leaseNotFound(options.leaseId ?? '');
  if (refusal === 'idemreused') return idempotencyKeyReused();
  if (refusal === 'fenced') {
    const { key = '', token } = options.fence ?? {};
    const message = `fence: token ${token} is not a current grant of its ${fencedNoun(key)}`;
    return new LeaseholdError('FENCED', message, { field: 'fence' });
  }
  const message = `ifVersion: expected ${options.ifVersion}, the key is at version ${String(current)}`;
  return new LeaseholdError('VERSION_MISMATCH', message, { field: 'ifVersion' });
}

interface RawLease {
  ttlMs: number;
  owner: string;
  app?: string;
  remainingMs: number;
  locks: unknown;
  keys: unknown;
}

/** Reads the getLease JSON (cjson writes an empty array as {}). */
export function leaseDetail(id: string, json: string): LeaseDetail {
  const raw = JSON.parse(json) as RawLease;
  return {
    id,
    ttlMs: raw.ttlMs,
    ...(raw.owner === '' ? {} : { owner: raw.owner }),
    ...(raw.app === undefined ? {} : { app: raw.app }),
    remainingMs: Math.max(0, raw.remainingMs),
    locks: list<string>(raw.locks),
    keys: list<string>(raw.keys),
  };
}

/** Optional text from a reply: undefined when empty. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A JSON array that cjson may have written as an empty object. */
export function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** Reads one describe-lock JSON object. */
export function lockInfo(raw: LockInfo): LockInfo {
  return raw.held ? raw : { key: raw.key, held: false, waiters: raw.waiters };
}

/** Reads one event published by a script; undefined for anything malformed. */
export function watchEvent(json: string): WatchEvent | undefined {
  try {
    const event = JSON.parse(json) as WatchEvent;
    return typeof event.key === 'string' && typeof event.revision === 'number' ? event : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a usage reply: {leases, locks, keys, bytes, counters, kvKeyBytes or -1, counterExists or -1}. */
export function usageOf(reply: Reply): Usage {
  const [leases, locks, keys, keyBytes, counters, kvKeyBytes, counterExists] = reply.map(Number);
  return {
    leases: leases ?? 0,
    locks: locks ?? 0,
    keys: keys ?? 0,
    keyBytes: keyBytes ?? 0,
    counters: counters ?? 0,
    ...(kvKeyBytes === undefined || kvKeyBytes < 0 ? {} : { kvKeyBytes }),
    ...(counterExists === undefined || counterExists < 0 ? {} : { counterExists: counterExists === 1 }),
  };
}
