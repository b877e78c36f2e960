import { LeaseholdError } from '@leasehold/core';

/** A decoded stream request. */
export interface StreamRequest {
  readonly id: number | string;
  readonly op: string;
  readonly store: string;
  readonly args: Record<string, unknown>;
}

/**
 * Decodes one message: `{id, op, store?, ...args}`. Throws INVALID_ARGUMENT naming the field;
 * `id` is returned separately so the error can still be addressed to the request.
 */
export function decodeRequest(message: unknown): StreamRequest {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new LeaseholdError('INVALID_ARGUMENT', 'message: must be a JSON object', { field: 'message' });
  }
  const { id, op, store, ...args } = message as Record<string, unknown>;
  if (typeof id !== 'number' && typeof id !== 'string') {
    throw new LeaseholdError('INVALID_ARGUMENT', 'id: must be a number or a string', { field: 'id' });
  }
  if (typeof op !== 'string' || op === '') {
    throw new LeaseholdError('INVALID_ARGUMENT', 'op: must be a non-empty string', { field: 'op' });
  }
  if (store !== undefined && (typeof store !== 'string' || store === '')) {
    throw new LeaseholdError('INVALID_ARGUMENT', 'store: must be a non-empty string', { field: 'store' });
  }
  return { id, op, store: store ?? '', args };
}
