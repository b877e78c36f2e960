import assert from 'node:assert/strict';
import { LeaseholdError } from '../errors.js';
import type { AcquireResult } from '../types.js';
import type { ConformanceContext } from './context.js';

/** A lease TTL no case outlives, for leases that must not lapse mid-case. */
export const LONG_TTL_MS = 30_000;

/** The fencing token of a grant; fails the case when the lock was not acquired. */
export function token(result: AcquireResult): number {
  assert.equal(result.acquired, true, 'expected the lock to be acquired');
  return (result as { fencingToken: number }).fencingToken;
}

/** Asserts that `promise` rejects with a LeaseholdError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LeaseholdError, `expected a LeaseholdError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

/** Grants a lease of app `test` and returns its id. */
export async function lease(ctx: ConformanceContext, ttlMs = LONG_TTL_MS, owner?: string): Promise<string> {
  return (await ctx.store.leases.grant({ app: 'test', ttlMs, ...(owner === undefined ? {} : { owner }) })).id;
}

/** Fails with `what` unless `work` settles within `ms`. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
