import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { LeaseholdError, opsByRoute, runOp, specOf, waitHooksOf } from '@leasehold/core';
import type { Caller, OpName } from '@leasehold/core';
import type { FastifyBaseLogger } from 'fastify';
import { callerFromHeaders } from '../auth.js';
import { NATIVE_BODY_ERRORS, decodeJson } from './body.js';
import { LOCK_BODY_LIMIT } from './context.js';
import type { HttpContext } from './context.js';
import { DAPR_LOCK_ROUTES, daprTryLock, daprUnlock } from './dapr-routes.js';
import { errorReply } from './errors.js';
import type { ObserveHttp } from './metrics.js';
import { runWaitingOp } from './native-routes.js';

/** fastify's reply header for a JSON body, so a lane reply is byte for byte the route's. */
const JSON_TYPE = 'application/json; charset=utf-8';
/** A store name the router would hand over as it is: no percent-decoding, no second segment. */
const PLAIN_STORE = /^[A-Za-z0-9._~-]+$/;
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze({});

/** One route the lane answers: its pattern (the metrics label), the URL around the store, the work. */
interface LaneRoute {
  readonly pattern: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly run: (caller: Caller, store: string, body: Buffer, response: ServerResponse) => Promise<unknown>;
}

/**
 * The hot lock routes (native acquire and release, Dapr lock and unlock) answered straight from
 * node:http, ahead of fastify's generic route path (ADR 0015). It takes only a request that
 * the routes would answer with a handler's result or error: any other (no token, a query string, no
 * or a large Content-Length, a chunked or untyped body, an encoded store name, shutting down) goes to
 * fastify untouched, which answers it as before. What it does answer goes through the same decoders,
 * service calls, error table, metrics and headers as the routes.
 */
export class LockLane {
  private readonly routes: LaneRoute[];

  constructor(
    private readonly ctx: HttpContext,
    private readonly observe: ObserveHttp,
    private readonly log: FastifyBaseLogger,
  ) {
    this.routes = [...nativeRoutes(ctx), ...daprRoutes(ctx)];
  }

  /**
   * Puts the lane ahead of fastify on `server` (the app's own): fastify's request listener stays the
   * server's only one and is called for every request the lane leaves.
   */
  install(server: Server): void {
    const [fastify, ...others] = server.listeners('request') as RequestListener[];
    if (!fastify || others.length > 0) throw new Error('lock lane: expected one request listener, fastify');
    server.removeListener('request', fastify);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (!this.take(request, response)) fastify(request, response);
    });
  }

  /** Answers `request` when it is one the lane serves exactly as fastify would; false leaves it to fastify. */
  take(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST' || this.ctx.shutdown.aborted) return false;
    const url = request.url ?? '';
    const route = this.routes.find((r) => url.startsWith(r.prefix) && url.endsWith(r.suffix));
    if (!route) return false;
    const store = url.slice(route.prefix.length, url.length - route.suffix.length);
    const headers = request.headers;
    const length = Number(headers['content-length']);
    if (!PLAIN_STORE.test(store) || !(length > 0 && length <= LOCK_BODY_LIMIT)) return false;
    if (headers['transfer-encoding'] !== undefined || headers['content-type'] === undefined) return false;
    const caller = callerFromHeaders(this.ctx.auth, headers);
    if (!caller) return false;
    this.serve(route, caller, store, request, response);
    return true;
  }

  private serve(
    route: LaneRoute,
    caller: Caller,
    store: string,
    request: IncomingMessage,
    response: ServerResponse,
  ) {
    const started = performance.now();
    const answer = (status: number, value: unknown, errorCode?: string) => {
      const text = JSON.stringify(value);
      const headers: Record<string, string> = { 'content-type': JSON_TYPE };
      // While shutting down, close after the reply so keep-alive clients let go (app.ts).
      if (this.ctx.shutdown.aborted) headers.connection = 'close';
      headers['content-length'] = String(Buffer.byteLength(text));
      response.writeHead(status, headers).end(text);
      const seconds = (performance.now() - started) / 1000;
      this.observe(route.pattern, 'POST', status, errorCode, NO_QUERY, store, seconds);
    };
    const fail = (error: unknown) => {
      const { status, body } = errorReply(error, this.log);
      answer(status, body, body.errorCode);
    };
    readBody(request).then(
      (body) => route.run(caller, store, body, response).then((value) => answer(200, value), fail),
      (error: Error) => fail(bodyReadError(route, error)),
    );
  }
}

/** The whole body, as fastify's buffer parser reads it. */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/** What the app's error handler answers for a body that broke off (app.ts). */
function bodyReadError(route: LaneRoute, error: Error): LeaseholdError {
  const message = `failed to read request body: ${error.message}`;
  return new LeaseholdError(route.prefix.startsWith('/v1.0') ? 'ERR_BODY_READ' : 'INVALID_ARGUMENT', message);
}

/** Native acquire and release: the op table's routes, run as native-routes.ts runs them. */
function nativeRoutes(ctx: HttpContext): LaneRoute[] {
  const routes = opsByRoute();
  return (['locks.acquire', 'locks.release'] as const satisfies readonly OpName[]).map((op) => {
    const spec = specOf(op);
    const only = routes.get(`${spec.method} ${spec.path}`)?.length === 1;
    if (!only || spec.args !== 'body' || spec.wrap !== undefined) {
      throw new Error(`op table: ${op} is no longer the only op of its route, read from the body`);
    }
    const hooks = waitHooksOf(op);
    const [prefix, suffix] = spec.path.split(':store') as [string, string];
    return {
      pattern: spec.path,
      prefix,
      suffix,
      run: async (caller, store, body, response) => {
        const input = decodeJson(body, NATIVE_BODY_ERRORS, true);
        if (hooks) return runWaitingOp(ctx, op, hooks, { caller, store, input }, response);
        return runOp(ctx.service, caller, store, op, input);
      },
    };
  });
}

/** Dapr's lock and unlock, run by the same functions as their routes (dapr-routes.ts). */
function daprRoutes(ctx: HttpContext): LaneRoute[] {
  const route = (pattern: string, run: typeof daprTryLock | typeof daprUnlock): LaneRoute => ({
    pattern,
    prefix: pattern.slice(0, -':store'.length),
    suffix: '',
    run: (caller, store, body) => run(ctx, caller, store, body),
  });
  return [route(DAPR_LOCK_ROUTES.lock, daprTryLock), route(DAPR_LOCK_ROUTES.unlock, daprUnlock)];
}
