import type { TlsOptions } from 'node:tls';
import { LeaseholdError } from '@leasehold/core';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { callerFromHeaders } from '../auth.js';
import { KV_BODY_LIMIT } from './context.js';
import type { HttpContext } from './context.js';
import { registerConsoleRoutes } from './console-routes.js';
import { registerDaprRoutes } from './dapr-routes.js';
import { sendError } from './errors.js';
import { registerHealthRoutes } from './health-routes.js';
import { answerClientError, discardRequestBody } from './linger.js';
import { registerMetrics } from './metrics.js';
import { registerNativeRoutes } from './native-routes.js';
import { checkQueryString } from './query.js';
import { registerWatchRoute } from './watch-route.js';

interface RouteConfig {
  dapr?: boolean;
  public?: boolean;
}

/** How the HTTP app listens; HTTPS when `https` is given. */
export interface HttpListenOptions {
  readonly https?: TlsOptions;
}

/** Builds the HTTP app: Dapr API, native API, health; auth on every non-public route. */
export function buildHttpApp(
  ctx: HttpContext,
  logger: FastifyBaseLogger,
  listen: HttpListenOptions = {},
): FastifyInstance {
  const app = Fastify({
    ...(listen.https ? { https: listen.https } : {}),
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: KV_BODY_LIMIT,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // Ids in paths reach our own validation (a lease id may be 128 bytes), not the router's 100-char cut.
    routerOptions: { maxParamLength: 1024 },
  });
  app.removeAllContentTypeParsers();
  const rawBody = (_request: unknown, payload: Buffer, done: (error: null, body: Buffer) => void) =>
    done(null, payload);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, rawBody);
  // The same parser, named for the type nearly every request has: fastify caches a named type's
  // parser by header, but finds the catch-all by parsing the header anew on every request.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, rawBody);
  app.decorateRequest('caller', undefined as never);
  app.decorateReply('errorCode', undefined);

  // Hooks take `done` rather than being async: a promise per hook per request is measurable here.
  app.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config as RouteConfig;
    if (config.public) return done();
    const caller = callerFromHeaders(ctx.auth, request.headers);
    // daprd's refusal, byte for byte: Go's http.Error (dapr/dapr pkg/api/http/middlewares.go).
    if (!caller) {
      reply.errorCode = 'ERR_UNAUTHORIZED';
      refuseToken(reply);
      return;
    }
    request.caller = caller;
    if (!config.dapr) checkQueryString(request.url);
    done();
  });

  app.addHook('onSend', (request, reply, _payload, done) => {
    if (request.raw.complete) {
      closeWhenShuttingDown(reply, ctx.shutdown);
      return done();
    }
    // A reply that comes before its request's body is all in (a body over the limit, a refused
    // token) waits for the rest to be discarded, so the client gets it instead of a reset (linger.ts).
    discardRequestBody(request.raw).then((drained) => {
      if (drained) reply.removeHeader('connection');
      else reply.header('connection', 'close');
      closeWhenShuttingDown(reply, ctx.shutdown);
      done();
    }, done);
  });

  app.setErrorHandler((error, request, reply) => {
    const config = (request.routeOptions.config ?? {}) as RouteConfig;
    const fastifyCode = (error as { code?: string }).code;
    if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit ?? KV_BODY_LIMIT;
      const message = `request body: must be at most ${limit} bytes`;
      return sendError(
        reply,
        config.dapr
          ? new LeaseholdError('ERR_MALFORMED_REQUEST', message)
          : new LeaseholdError('PAYLOAD_TOO_LARGE', message),
        app.log,
      );
    }
    if (fastifyCode?.startsWith('FST_ERR_CTP') || fastifyCode === 'ECONNRESET') {
      const message = `failed to read request body: ${(error as Error).message}`;
      return sendError(
        reply,
        new LeaseholdError(config.dapr ? 'ERR_BODY_READ' : 'INVALID_ARGUMENT', message),
        app.log,
      );
    }
    return sendError(reply, error, app.log);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new LeaseholdError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`),
      app.log,
    ),
  );

  registerHealthRoutes(app, ctx);
  registerMetrics(app, ctx);
  registerDaprRoutes(app, ctx);
  registerNativeRoutes(app, ctx);
  registerWatchRoute(app, ctx);
  registerConsoleRoutes(app);
  return app;
}

/** While shutting down, close each connection after its reply so keep-alive clients let go. */
function closeWhenShuttingDown(reply: FastifyReply, shutdown: AbortSignal): void {
  if (shutdown.aborted) reply.header('connection', 'close');
}

/** A 401 as daprd writes it with Go's http.Error: plain text ending in a newline, nosniff. */
function refuseToken(reply: FastifyReply): FastifyReply {
  return reply
    .code(401)
    .type('text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send('invalid api token\n');
}
