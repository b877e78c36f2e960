import { Metadata } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { GrpcStatus } from '@leasehold/core';

/**
 * daprd's gRPC answers to a missing or wrong `dapr-api-token` (dapr/dapr `pkg/api/grpc/auth.go`,
 * built by `ErrorFromHTTPResponseCode` in `pkg/messaging/v1/util.go`): UNAUTHENTICATED with the
 * message `Unauthorized` (Go's text for HTTP 401), and the reason in a google.rpc.ErrorInfo detail.
 */
export const MISSING_TOKEN = 'missing api token in request metadata';
/** daprd's reason for a token that does not match. */
export const TOKEN_MISMATCH = 'authentication error: api token mismatch';

const UNAUTHORIZED = 'Unauthorized';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

/** The status daprd answers an unauthenticated call with, rich details included. */
export function unauthenticated(reason: typeof MISSING_TOKEN | typeof TOKEN_MISMATCH): Partial<StatusObject> {
  const errorInfo = concat(
    text(1, UNAUTHORIZED),
    text(2, 'dapr.io'),
    bytes(3, concat(text(1, 'http.code'), text(2, '401'))),
    bytes(3, concat(text(1, 'http.error_message'), text(2, reason))),
  );
  const status = concat(
    varintField(1, GrpcStatus.UNAUTHENTICATED),
    text(2, UNAUTHORIZED),
    bytes(3, concat(text(1, ERROR_INFO_TYPE), bytes(2, errorInfo))),
  );
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', status);
  return { code: GrpcStatus.UNAUTHENTICATED, details: UNAUTHORIZED, metadata };
}

// Just enough protobuf encoding for google.rpc.Status, Any and ErrorInfo (strings, bytes, one int).
function varint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}

function varintField(field: number, value: number): Buffer {
  return concat(varint(field * 8), varint(value));
}

function bytes(field: number, value: Buffer): Buffer {
  return concat(varint(field * 8 + 2), varint(value.length), value);
}

function text(field: number, value: string): Buffer {
  return bytes(field, Buffer.from(value, 'utf8'));
}

function concat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}
