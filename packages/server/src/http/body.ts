import { LeaseholdError } from '@leasehold/core';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How a route family reports an unreadable or malformed body. */
export interface BodyErrors {
  readonly unreadable: (reason: string) => LeaseholdError;
  readonly malformed: (reason: string) => LeaseholdError;
}

/** Dapr's codes: ERR_BODY_READ, then ERR_MALFORMED_REQUEST. */
export const DAPR_BODY_ERRORS: BodyErrors = {
  unreadable: (reason) => new LeaseholdError('ERR_BODY_READ', `failed to read request body: ${reason}`),
  malformed: (reason) =>
    new LeaseholdError('ERR_MALFORMED_REQUEST', `failed deserializing request body: ${reason}`),
};

/** The native API's code: INVALID_ARGUMENT naming the body. */
export const NATIVE_BODY_ERRORS: BodyErrors = {
  unreadable: (reason) => new LeaseholdError('INVALID_ARGUMENT', `body: ${reason}`, { field: 'body' }),
  malformed: (reason) => new LeaseholdError('INVALID_ARGUMENT', `body: ${reason}`, { field: 'body' }),
};

/** Decodes a raw body as UTF-8 JSON; an empty body is `{}` only when `emptyIsObject`. */
export function decodeJson(raw: unknown, errors: BodyErrors, emptyIsObject = false): unknown {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw errors.unreadable('the body is not valid UTF-8');
  }
  if (text.trim() === '') {
    if (emptyIsObject) return {};
    throw errors.malformed('the body is empty');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw errors.malformed(`invalid JSON (${(error as Error).message})`);
  }
}
