import { describeHolder } from '@leasehold/client';
import type { Lease, LeaseholdClient } from '@leasehold/client';
import { usageError } from '../exit-codes.js';
import { parseInteger, stringFlag } from '../options.js';
import type { FlagSpec, Parsed } from '../options.js';

/** The largest semaphore limit the server takes (design §0); the CLI checks it before any lease. */
const LIMIT_MAX = 65_535;

/** What `leasehold lock` holds: a lock, permits of a semaphore, or a read/write lock in one mode. */
export type HoldTarget =
  | { readonly kind: 'lock'; readonly name: string }
  | {
      readonly kind: 'semaphore';
      readonly name: string;
      readonly permits: number;
      readonly limit?: number;
    }
  | { readonly kind: 'rwlock'; readonly name: string; readonly mode: 'read' | 'write' };

/** The flags that choose a target, for the command's help. */
export const TARGET_FLAGS: readonly FlagSpec[] = [
  { flags: '--permits <n>', description: 'take N permits of semaphore NAME instead of a lock (1)' },
  { flags: '--limit <m>', description: "the semaphore's limit: creates it, or must equal its limit" },
  { flags: '--read', description: 'take read/write lock NAME for reading (shared with readers)' },
  { flags: '--write', description: 'take read/write lock NAME for writing (alone)' },
];

/**
 * Reads `--permits`, `--limit`, `--read` and `--write`: none of them is a plain lock. A combination
 * that means nothing is a usage error naming the flags, before any lease is granted.
 */
export function holdTargetOf(parsed: Parsed, name: string): HoldTarget {
  const read = parsed.values.read === true;
  const write = parsed.values.write === true;
  const permitsText = stringFlag(parsed, 'permits');
  const limitText = stringFlag(parsed, 'limit');
  if (read && write) throw usageError('--read and --write: give one mode, not both');
  if (read || write) {
    const mode = read ? 'read' : 'write';
    const counted = permitsText !== undefined ? '--permits' : limitText !== undefined ? '--limit' : undefined;
    if (counted !== undefined) {
      throw usageError(`${counted}: a read/write lock (--${mode}) has no permits or limit; drop one of them`);
    }
    return { kind: 'rwlock', name, mode };
  }
  if (permitsText === undefined && limitText === undefined) return { kind: 'lock', name };
  const limit = limitText === undefined ? undefined : inRange('--limit', limitText, LIMIT_MAX);
  const permits = permitsText === undefined ? 1 : inRange('--permits', permitsText, limit ?? LIMIT_MAX);
  return { kind: 'semaphore', name, permits, ...(limit === undefined ? {} : { limit }) };
}

/** An integer flag from 1 to `max`; past `--limit`, the message names it. */
function inRange(flag: string, text: string, max: number): number {
  const value = parseInteger(flag, text);
  if (value >= 1 && value <= max) return value;
  if (flag === '--permits' && max < LIMIT_MAX && value > max) {
    throw usageError(`--permits: must be at most --limit (${max}), got ${value}`);
  }
  throw usageError(`${flag}: must be between 1 and ${max}, got ${value}`);
}

/** The target in words: `demo`, `2 permits of semaphore pool`, `read/write lock cfg for read`. */
export function describeTarget(target: HoldTarget): string {
  switch (target.kind) {
    case 'lock':
      return target.name;
    case 'semaphore':
      return `${permitCount(target.permits)} of semaphore ${target.name}`;
    case 'rwlock':
      return `read/write lock ${target.name} for ${target.mode}`;
  }
}

/** A grant `lock` holds while the command runs. */
export interface Holding {
  readonly fencingToken: number;
  /** What the command's environment gets beyond the lease id and token. */
  readonly env: Record<string, string>;
  release(): Promise<unknown>;
}

/** Why nothing was granted, in words and as fields of the `not_acquired` JSON event. */
export interface Refusal {
  readonly text: string;
  readonly details: Record<string, unknown>;
}

/** How a take is asked: the lease, how long to wait, and the signal that leaves the queue. */
interface TakeOptions {
  readonly lease: Lease;
  readonly waitMs: number;
  readonly signal: AbortSignal;
}

/** Takes the target on `lease`, waiting up to `waitMs`; not acquired is a value. */
export function take(
  client: LeaseholdClient,
  target: HoldTarget,
  options: TakeOptions,
): Promise<Holding | Refusal> {
  switch (target.kind) {
    case 'lock':
      return takeLock(client, target.name, options);
    case 'semaphore':
      return takePermits(client, target, options);
    case 'rwlock':
      return takeRwLock(client, target, options);
  }
}

/** The command's environment: the name and kind always, plus what the grant weighs. */
function envOf(target: HoldTarget, extra: Record<string, string> = {}): Record<string, string> {
  return { LEASEHOLD_LOCK: target.name, LEASEHOLD_LOCK_KIND: target.kind, ...extra };
}

async function takeLock(
  client: LeaseholdClient,
  name: string,
  options: TakeOptions,
): Promise<Holding | Refusal> {
  const lock = await client.locks.acquire(name, options);
  if (lock.acquired) {
    const env = envOf({ kind: 'lock', name });
    return { fencingToken: lock.fencingToken!, env, release: () => lock.release() };
  }
  const held = describeHolder(lock.holder);
  const text = `lock ${name} not acquired${held === '' ? '' : ` (held by ${held})`}`;
  return { text, details: { holder: lock.holder } };
}

async function takePermits(
  client: LeaseholdClient,
  target: Extract<HoldTarget, { kind: 'semaphore' }>,
  options: TakeOptions,
): Promise<Holding | Refusal> {
  const { name, permits, limit } = target;
  const permit = await client.semaphores.acquire(name, {
    ...options,
    permits,
    ...(limit === undefined ? {} : { limit }),
  });
  if (permit.acquired) {
    const env = envOf(target, { LEASEHOLD_PERMITS: String(permit.permits) });
    return { fencingToken: permit.fencingToken!, env, release: () => permit.release() };
  }
  const { available, waiters } = permit;
  const text = `semaphore ${name}: ${permitCount(permits)} not acquired (${available} free, ${waiters} waiting)`;
  return { text, details: { kind: 'semaphore', permits, available, waiters } };
}

async function takeRwLock(
  client: LeaseholdClient,
  target: Extract<HoldTarget, { kind: 'rwlock' }>,
  options: TakeOptions,
): Promise<Holding | Refusal> {
  const { name, mode } = target;
  const lock = await client.rwlocks.acquire(name, { ...options, mode });
  if (lock.acquired) {
    const env = envOf(target, { LEASEHOLD_LOCK_MODE: mode });
    return { fencingToken: lock.fencingToken!, env, release: () => lock.release() };
  }
  const held = lock.heldAs === null || lock.heldAs === undefined ? 'free' : `held for ${lock.heldAs}`;
  const text = `read/write lock ${name} not acquired for ${mode} (${held}, ${lock.waiters} waiting)`;
  return { text, details: { kind: 'rwlock', mode, heldAs: lock.heldAs, waiters: lock.waiters } };
}

function permitCount(permits: number): string {
  return `${permits} permit${permits === 1 ? '' : 's'}`;
}
