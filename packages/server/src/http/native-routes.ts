import { LeaseholdError, opsByRoute, runOp, selectOp, specOf, waitHooksOf } from '@leasehold/core';
import type { OpName, OpSpec } from '@leasehold/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { NATIVE_BODY_ERRORS, decodeJson } from './body.js';
import type { HttpContext } from './context.js';
import { KV_BODY_LIMIT, LOCK_BODY_LIMIT } from './context.js';

type Query = Record<string, string | undefined>;
type Req = FastifyRequest<{ Params: { store: string }; Querystring: Query }>;

/**
 * The native API (`/v1/...`), one route per method and path of the op table: the lease, lock, KV
 * and counter ops and the console's reads. Ops that share a route are told apart by their query.
 */
export function registerNativeRoutes(app: FastifyInstance, ctx: HttpContext): void {
  for (const ops of opsByRoute().values()) {
    const spec = specOf(ops[0]!);
    const hasBody = spec.method === 'POST' || spec.method === 'PUT';
    app.route({
      method: spec.method,
      url: spec.path,
      ...(hasBody ? { bodyLimit: spec.largeBody ? KV_BODY_LIMIT : LOCK_BODY_LIMIT } : {}),
      handler: ops.length === 1 ? opHandler(ctx, ops[0]!) : sharedHandler(ctx, ops),
    });
  }
}

/** A route of several ops: the first whose `selectBy` argument is present, else the one without. */
function sharedHandler(ctx: HttpContext, ops: readonly OpName[]): RouteHandlerMethod {
  if (ops.filter((op) => !specOf(op).selectBy).length !== 1) {
    throw new Error(`op table: ${ops.join(', ')} share a route without one fallback`);
  }
  const handlers = new Map(ops.map((op) => [op, opHandler(ctx, op)]));
  return function (this: FastifyInstance, request, reply) {
    const handler = handlers.get(selectOp(ops, request.query as Query)!)!;
    return handler.call(this, request, reply);
  };
}

/** The handler of one op: its arguments read from where the table says, its result wrapped if asked. */
function opHandler(ctx: HttpContext, op: OpName): RouteHandlerMethod {
  const spec = specOf(op);
  const s = ctx.service;
  if (spec.waits) {
    const hooks = waitHooksOf(op)!;
    return (request, reply) => waiting(ctx, op, hooks, request as Req, reply);
  }
  const wrap = spec.wrap;
  if (wrap !== undefined) {
    return async (request) => {
      const r = request as Req;
      return { [wrap]: await runOp(s, r.caller, r.params.store, op, argsOf(spec, r)) };
    };
  }
  return (request) => {
    const r = request as Req;
    return runOp(s, r.caller, r.params.store, op, argsOf(spec, r));
  };
}

function argsOf(spec: OpSpec, request: Req): unknown {
  if (spec.args === 'body')
    return withKeyHeader(spec, request, decodeJson(request.body, NATIVE_BODY_ERRORS, true));
  return spec.args === 'query' ? request.query : request.params;
}

/**
 * The IETF httpapi draft's `Idempotency-Key` header (a structured-field string: quotes optional
 * here), for an op that takes `idempotencyKey`: the body field is the primary form (ADR 0020), the
 * header the same thing; given both, they must agree.
 */
function withKeyHeader(spec: OpSpec, request: Req, body: unknown): unknown {
  const header = request.headers['idempotency-key'];
  if (header === undefined || !spec.fields.includes('idempotencyKey')) return body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const key = typeof header === 'string' ? header.replace(/^"(.*)"$/, '$1') : header;
  const field = (body as { idempotencyKey?: unknown }).idempotencyKey;
  if (typeof key !== 'string' || (field !== undefined && field !== key)) {
    const message =
      'idempotencyKey: give one Idempotency-Key header, equal to the body field when both are sent';
    throw new LeaseholdError('INVALID_ARGUMENT', message, { field: 'idempotencyKey' });
  }
  return { ...body, idempotencyKey: key };
}

type WaitHooks = NonNullable<ReturnType<typeof waitHooksOf>>;

/** A wait is asked for: `waitMs` anything but absent or 0 (the service judges the value). */
function asksToWait(input: unknown): boolean {
  const waitMs = (input as { waitMs?: unknown } | null | undefined)?.waitMs;
  return waitMs !== undefined && waitMs !== 0;
}

/**
 * An op that waits leaves the queue when its client goes away or the server shuts down, and a
 * grant that can no longer be delivered is given back at once, so nobody holds a lock unknowingly.
 * A call that cannot wait has nothing to abort, so it gets no controller and no listeners.
 */
async function waiting(ctx: HttpContext, op: OpName, hooks: WaitHooks, request: Req, reply: FastifyReply) {
  const input = argsOf(specOf(op), request);
  const { caller, params } = request;
  if (!asksToWait(input)) {
    const result = await runOp(ctx.service, caller, params.store, op, input);
    // The connection closed before the reply: what the `close` listener below would have seen.
    return settle(ctx, hooks, request, input, result, reply.raw.destroyed && !reply.raw.writableEnded);
  }
  const controller = new AbortController();
  const onGone = () => {
    if (!reply.raw.writableEnded) controller.abort();
  };
  reply.raw.on('close', onGone);
  const onShutdown = () => controller.abort();
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  try {
    const result = await runOp(ctx.service, caller, params.store, op, input, controller.signal);
    return await settle(ctx, hooks, request, input, result, controller.signal.aborted);
  } finally {
    reply.raw.off('close', onGone);
    ctx.shutdown.removeEventListener('abort', onShutdown);
  }
}

/**
 * The reply to an op that may wait: refused while shutting down, given back when nobody will
 * receive it. Not async: the common case has nothing to wait for, and a promise per call shows.
 */
function settle(
  ctx: HttpContext,
  hooks: WaitHooks,
  request: Req,
  input: unknown,
  result: unknown,
  gone: boolean,
): unknown {
  const granted = hooks.granted(result);
  if (ctx.shutdown.aborted && !granted) throw new LeaseholdError('UNAVAILABLE', 'server is shutting down');
  if (granted && gone && !ctx.shutdown.aborted) {
    return hooks.undo(ctx.service, request.caller, request.params.store, input).then(() => result);
  }
  return result;
}
