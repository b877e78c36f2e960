import { LeaseholdError } from '../errors.js';
import type { Limits } from '../limits.js';
import { checkBoundedString, checkInteger, checkName } from '../limits.js';

/** A decoded JSON object body, its fields not yet checked. */
export type Body = Record<string, unknown>;

/** The longest lease id any store issues, with room to spare. */
const LEASE_ID_MAX_BYTES = 128;

/** A body that must be a JSON object. */
export function asBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LeaseholdError('INVALID_ARGUMENT', 'body: must be a JSON object', { field: 'body' });
  }
  return body as Body;
}

/** A lock, key or counter name within the name limit. */
export function readName(limits: Limits, field: string, value: unknown): string {
  return checkName(field, value, limits.nameMaxBytes);
}

/** A name prefix; absent or empty means every name. */
export function readPrefix(limits: Limits, value: unknown): string {
  return value === undefined || value === '' ? '' : checkName('prefix', value, limits.nameMaxBytes);
}

/** A lease id: opaque, but bounded. */
export function readLeaseId(value: unknown): string {
  return checkBoundedString('leaseId', value, LEASE_ID_MAX_BYTES);
}

/** An optional lease id (absent or null is none). */
export function readOptionalLeaseId(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : readLeaseId(value);
}

/** A fencing token to check; a query string carries it as decimal text. */
export function readToken(value: unknown): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return checkInteger('token', number, 0, Number.MAX_SAFE_INTEGER);
}
