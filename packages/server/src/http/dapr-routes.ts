import type { FastifyInstance } from 'fastify';
import { decodeDaprJson } from './body.js';
import { decodeDaprTryLock, decodeDaprUnlock } from './dapr-body.js';
import type { HttpContext } from './context.js';
import { LOCK_BODY_LIMIT } from './context.js';

interface StoreParams {
  store: string;
}

/** The Dapr-compatible lock API (`/v1.0-alpha1`), metadata and health, exactly as daprd answers. */
export function registerDaprRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const options = { bodyLimit: LOCK_BODY_LIMIT, config: { dapr: true } };

  app.post<{ Params: StoreParams }>('/v1.0-alpha1/lock/:store', options, async (request) => {
    const body = decodeDaprTryLock(decodeDaprJson(request.body));
    const result = await ctx.service.dapr.tryLock(request.caller, request.params.store, body);
    return result.acquired ? { success: true, fencingToken: result.fencingToken } : { success: false };
  });

  app.post<{ Params: StoreParams }>('/v1.0-alpha1/unlock/:store', options, async (request) => {
    const body = decodeDaprUnlock(decodeDaprJson(request.body));
    return { status: await ctx.service.dapr.unlock(request.caller, request.params.store, body) };
  });

  app.get('/v1.0/metadata', (request) => ({
    id: request.caller.appId,
    runtimeVersion: 'leasehold',
    enabledFeatures: [],
    components: ctx.service
      .listStores()
      .map((s) => ({ name: s.name, type: s.type, version: 'v1', capabilities: [] })),
    extended: { runtime: 'leasehold' },
  }));

  for (const url of ['/v1.0/healthz', '/v1.0/healthz/outbound']) {
    app.get(url, { config: { public: true } }, (_request, reply) => reply.code(204).send());
  }
}
