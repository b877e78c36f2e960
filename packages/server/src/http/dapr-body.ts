import type { DaprTryLockRequest, DaprUnlockRequest } from '@leasehold/core';
import { ERROR_TABLE, LeaseholdError, WELL_FORMED } from '@leasehold/core';

const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;

/**
 * daprd's answer to an HTTP body it cannot decode as the request message (dapr/dapr
 * `pkg/api/http/universal.go` with `ErrMalformedRequest`): its words, then the decoder's reason.
 */
export function malformedDaprBody(reason: string): LeaseholdError {
  return new LeaseholdError(
    'ERR_MALFORMED_REQUEST',
    `${ERROR_TABLE.ERR_MALFORMED_REQUEST.message}: ${reason}`,
  );
}

/** Reads a field by its JSON (camelCase) or proto (snake_case) name, as protobuf JSON does. */
function field(body: Record<string, unknown>, jsonName: string, protoName: string): unknown {
  return body[jsonName] ?? body[protoName];
}

function stringField(body: Record<string, unknown>, jsonName: string, protoName: string): string {
  const value = field(body, jsonName, protoName);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw malformedDaprBody(`${jsonName}: must be a string`);
  // protobuf JSON refuses a lone surrogate escape while decoding, as daprd does; the reason is ours.
  if (!value.isWellFormed()) throw malformedDaprBody(`${jsonName}: ${WELL_FORMED}`);
  return value;
}

function int32Field(body: Record<string, unknown>, jsonName: string, protoName: string): number {
  const value = field(body, jsonName, protoName);
  if (value === undefined || value === null) return 0;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number > INT32_MAX || number < INT32_MIN) {
    throw malformedDaprBody(`${jsonName}: must be a 32-bit integer`);
  }
  return number;
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw malformedDaprBody('request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * Decodes a TryLock body like protobuf JSON: both field spellings, int32 as number or string. An
 * empty body comes here as `{}`: daprd leaves the request at its zero value.
 */
export function decodeDaprTryLock(body: unknown): DaprTryLockRequest {
  const object = asObject(body);
  return {
    resourceId: stringField(object, 'resourceId', 'resource_id'),
    lockOwner: stringField(object, 'lockOwner', 'lock_owner'),
    expiryInSeconds: int32Field(object, 'expiryInSeconds', 'expiry_in_seconds'),
  };
}

/** Decodes an Unlock body like protobuf JSON. */
export function decodeDaprUnlock(body: unknown): DaprUnlockRequest {
  const object = asObject(body);
  return {
    resourceId: stringField(object, 'resourceId', 'resource_id'),
    lockOwner: stringField(object, 'lockOwner', 'lock_owner'),
  };
}
