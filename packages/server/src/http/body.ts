import { LeaseholdError } from '@leasehold/core';
import { malformedDaprBody } from './dapr-body.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How a route family reports an unreadable or malformed body. */
export interface BodyErrors {
  readonly unreadable: (reason: string) => LeaseholdError;
  readonly malformed: (reason: string) => LeaseholdError;
}

/**
 * daprd reads any bytes and hands them to its protobuf-JSON decoder, so bytes that are not UTF-8
 * fail decoding: ERR_MALFORMED_REQUEST, as every other undecodable body. ERR_BODY_READ is left to a
 * transfer that breaks (app.ts).
 */
const DAPR_BODY_ERRORS: BodyErrors = {
  unreadable: (reason) => malformedDaprBody(reason),
  malformed: (reason) => malformedDaprBody(reason),
};

/**
 * A Dapr lock route's body. daprd decodes nothing from an empty body (zero bytes) and validates the
 * request at its zero value (dapr/dapr `pkg/api/http/universal.go`); a blank one is still decoded.
 */
export function decodeDaprJson(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  return decodeJson(raw, DAPR_BODY_ERRORS);
}

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
