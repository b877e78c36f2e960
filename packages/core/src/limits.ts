import { invalidArgument } from './errors.js';

/**
 * Input limits (DESIGN §8). `minTtlMs` may be lowered for tests. The Dapr API's `expiryInSeconds` has
 * none beyond int32, as daprd: its implicit lease may outlast `maxTtlMs`.
 */
export interface Limits {
  readonly nameMaxBytes: number;
  readonly ownerMaxBytes: number;
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  readonly maxWaitMs: number;
  readonly valueMaxBytes: number;
  readonly listMax: number;
}

/** The documented defaults. */
export const DEFAULT_LIMITS: Limits = {
  nameMaxBytes: 1024,
  ownerMaxBytes: 256,
  minTtlMs: 1_000,
  maxTtlMs: 31_536_000_000,
  maxWaitMs: 600_000,
  valueMaxBytes: 1_048_576 - 4096,
  listMax: 10_000,
};

/** Why a string with a lone surrogate is refused, in every API's message. */
export const WELL_FORMED = 'must be well-formed Unicode (no lone surrogates)';

/** A name: 1..max bytes of UTF-8, no `||` (the key-scope separator). */
export function checkName(field: string, value: unknown, maxBytes: number): string {
  const text = checkBoundedString(field, value, maxBytes);
  if (text.includes('||')) throw invalidArgument(field, 'must not contain "||"');
  return text;
}

/**
 * A string of 1..max bytes of well-formed UTF-8. A lone surrogate (JSON can carry one as an escape
 * in a body whose bytes are valid UTF-8) is refused: Redis, etcd and SQLite would store it as
 * U+FFFD, so two different names would become one on those stores and stay two on memory.
 */
export function checkBoundedString(field: string, value: unknown, maxBytes: number): string {
  if (typeof value !== 'string') throw invalidArgument(field, 'must be a string');
  if (value.length === 0) throw invalidArgument(field, 'must not be empty');
  if (!value.isWellFormed()) throw invalidArgument(field, WELL_FORMED);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes)
    throw invalidArgument(field, `must be at most ${maxBytes} bytes of UTF-8, got ${bytes}`);
  return value;
}

/** An integer within [min, max]. */
export function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalidArgument(field, 'must be an integer');
  if (value < min || value > max)
    throw invalidArgument(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** An optional integer within [min, max]. */
export function checkOptionalInteger(
  field: string,
  value: unknown,
  min: number,
  max: number,
): number | undefined {
  return value === undefined || value === null ? undefined : checkInteger(field, value, min, max);
}

/** An optional bounded string. */
export function checkOptionalString(field: string, value: unknown, maxBytes: number): string | undefined {
  return value === undefined || value === null ? undefined : checkBoundedString(field, value, maxBytes);
}
