import type { Caller, LeaseholdService } from '@leasehold/core';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';

/** What every route module needs. */
export interface HttpContext {
  readonly service: LeaseholdService;
  readonly auth: Authenticator;
  readonly appId: string;
  /** Aborted when the server begins to shut down: ends every wait. */
  readonly shutdown: AbortSignal;
  /** The server's metrics registry and series. */
  readonly metrics: ServerMetrics;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyReply {
    /** The error code answered, for metrics (set by sendError). */
    errorCode: string | undefined;
  }
}

/** The authenticated caller of a request (set by the auth hook). */
export function callerOf(request: FastifyRequest): Caller {
  return request.caller;
}

/** Body limits (DESIGN §8). */
export const LOCK_BODY_LIMIT = 64 * 1024;
export const KV_BODY_LIMIT = 1024 * 1024;
