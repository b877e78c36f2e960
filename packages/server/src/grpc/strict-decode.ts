import { isAscii, isUtf8 } from 'node:buffer';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { LeaseholdError } from '@leasehold/core';

/**
 * A request that did not decode. grpc-js answers a throwing deserializer INTERNAL; a bad request
 * is the caller's fault, so the handler answers this one INVALID_ARGUMENT naming what is wrong.
 */
export class UndecodableRequest {
  constructor(readonly error: LeaseholdError) {}
}

/** The string fields of TryLockRequest and UnlockRequest, by field number (the wire contract). */
const STRING_FIELDS: ReadonlyMap<number, string> = new Map([
  [1, 'storeName'],
  [2, 'resourceId'],
  [3, 'lockOwner'],
]);

/**
 * Decodes `methods`' requests strictly. protobufjs turns bytes that are not UTF-8 into U+FFFD, so
 * two different names would become one; proto3 says a string is valid UTF-8, and here it must be.
 */
export function strictRequests(definition: ServiceDefinition, methods: readonly string[]): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      if (!methods.includes(name)) return [name, method];
      const decode = method.requestDeserialize;
      return [name, { ...method, requestDeserialize: (bytes: Buffer) => decodeStrictly(bytes, decode) }];
    }),
  );
}

function decodeStrictly(bytes: Buffer, decode: (bytes: Buffer) => unknown): unknown {
  const field = firstInvalidString(bytes);
  if (field !== undefined) {
    return new UndecodableRequest(
      new LeaseholdError('ERR_MALFORMED_REQUEST', `${field}: must be well-formed UTF-8`),
    );
  }
  try {
    return decode(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return new UndecodableRequest(
      new LeaseholdError('ERR_MALFORMED_REQUEST', `failed deserializing request: ${reason}`, {
        cause: error,
      }),
    );
  }
}

/** The first string field whose bytes are not UTF-8; undefined when all are (or the message is broken). */
function firstInvalidString(bytes: Buffer): string | undefined {
  // All bytes ASCII (the usual lock request): every string field is too, so valid UTF-8.
  if (isAscii(bytes)) return undefined;
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 35 && at < bytes.length; shift += 7) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  while (at < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const wireType = tag % 8;
    if (wireType === 0) {
      if (varint() === undefined) return undefined;
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
    } else if (wireType === 2) {
      const length = varint();
      if (length === undefined || at + length > bytes.length) return undefined;
      const name = STRING_FIELDS.get(Math.floor(tag / 8));
      if (name !== undefined && !isUtf8(bytes.subarray(at, at + length))) return name;
      at += length;
    } else {
      return undefined;
    }
  }
  return undefined;
}
