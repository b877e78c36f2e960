import { ERROR_TABLE, LeaseholdError } from '@leasehold/core';
import type { ErrorCode } from '@leasehold/core';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';

/** The JSON body of every error reply. */
export interface ErrorBody {
  readonly errorCode: ErrorCode;
  readonly message: string;
}

/** Turns any thrown value into a LeaseholdError; the unexpected become INTERNAL. */
export function toLeaseholdError(error: unknown): LeaseholdError {
  if (error instanceof LeaseholdError) return error;
  return new LeaseholdError('INTERNAL', undefined, { cause: error });
}

/** An error's status and body through the one code table, its cause logged once and never sent. */
export function errorReply(error: unknown, log: FastifyBaseLogger): { status: number; body: ErrorBody } {
  const typed = toLeaseholdError(error);
  const spec = ERROR_TABLE[typed.code];
  // Only a failure with a cause is news; a 5xx answer without one (no store configured) is said at start.
  if (spec.httpStatus >= 500 && typed.cause !== undefined)
    log.error({ err: typed.cause, code: typed.code }, typed.message);
  return { status: spec.httpStatus, body: { errorCode: typed.code, message: typed.message } };
}

/** Sends an error through the one code table (errorReply). */
export function sendError(reply: FastifyReply, error: unknown, log: FastifyBaseLogger): FastifyReply {
  const { status, body } = errorReply(error, log);
  reply.errorCode = body.errorCode;
  return reply.code(status).type('application/json').send(body);
}
