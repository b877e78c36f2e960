import { createHash } from 'node:crypto';
import { LeaseholdError, invalidArgument } from './errors.js';

/**
 * How long a store remembers an idempotency key: a repeat within it replays the first result. Ten
 * minutes outlasts every SDK retry schedule by far; a store may keep a key longer (never shorter).
 */
export const IDEMPOTENCY_WINDOW_MS = 600_000;

/** The longest idempotency key, in characters (each visible ASCII, so also bytes). */
export const IDEMPOTENCY_KEY_MAX_CHARS = 255;

const KEY_SHAPE = /^[\x21-\x7e]+$/;

/**
 * What a store needs to apply a non-idempotent op at most once: the key, already scoped by app, op
 * and target (so another app's key never meets it), and a fingerprint of the request's other fields.
 */
export interface Idempotency {
  readonly key: string;
  readonly fingerprint: string;
}

/** Checks a caller's `idempotencyKey`: absent, or 1 to 255 visible ASCII characters. */
export function readIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const rule = `must be 1 to ${IDEMPOTENCY_KEY_MAX_CHARS} visible ASCII characters (0x21-0x7E)`;
  if (typeof value !== 'string' || value.length > IDEMPOTENCY_KEY_MAX_CHARS || !KEY_SHAPE.test(value)) {
    const got = typeof value === 'string' ? `, got ${value.length} characters` : '';
    throw invalidArgument('idempotencyKey', `${rule}${got}`);
  }
  return value;
}

/**
 * The store's view of a caller's key: scoped by app, op and (scoped) target; the fingerprint is a
 * hash of `request`, the fields that must match on a repeat.
 */
export function idempotencyOf(
  app: string | undefined,
  op: string,
  target: string,
  key: string | undefined,
  request: unknown,
): Idempotency | undefined {
  if (key === undefined) return undefined;
  const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('base64url').slice(0, 22);
  return { key: JSON.stringify([app ?? '', op, target, key]), fingerprint };
}

/** A repeat of an idempotency key with a different request: refused, nothing changes. */
export function idempotencyKeyReused(): LeaseholdError {
  return new LeaseholdError(
    'IDEMPOTENCY_KEY_REUSED',
    'idempotencyKey: already used within the last 10 minutes for a different request to this target',
    { field: 'idempotencyKey' },
  );
}
