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

/** Sends an error through the one code table, logging any cause once and never sending it. */
export function sendError(reply: FastifyReply, error: unknown, log: FastifyBaseLogger): FastifyReply {
  const typed = toLeaseholdError(error);
  const spec = ERROR_TABLE[typed.code];
  // Only a failure with a cause is news; a 5xx answer without one (no store configured) is said at start.
  if (spec.httpStatus >= 500 && typed.cause !== undefined)
    log.error({ err: typed.cause, code: typed.code }, typed.message);
  const body: ErrorBody = { errorCode: typed.code, message: typed.message };
  reply.errorCode = typed.code;
  return reply.code(spec.httpStatus).type('application/json').send(body);
}
