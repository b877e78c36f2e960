import { badArgument } from './errors.js';
import { Lease } from './lease.js';

/** A non-empty string, or an error naming the field. */
export function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw badArgument(field, 'must be a non-empty string');
  return value;
}

/** A positive integer number of milliseconds, or an error naming the field. */
export function requireMs(field: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badArgument(field, `must be an integer number of milliseconds >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** An optional millisecond count. */
export function optionalMs(field: string, value: unknown, min = 0): number | undefined {
  return value === undefined ? undefined : requireMs(field, value, min);
}

/** A Lease from this SDK, or an error naming the field. */
export function requireLease(field: string, value: unknown): Lease {
  if (!(value instanceof Lease)) throw badArgument(field, 'must be a Lease from leases.grant()');
  return value;
}

/** Drops undefined members so optional fields are omitted on the wire. */
export function compact(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}
