import type { Caller } from '@leasehold/core';
import type { FastifyInstance } from 'fastify';
import { decodeDaprJson } from './body.js';
import { decodeDaprTryLock, decodeDaprUnlock } from './dapr-body.js';
import type { HttpContext } from './context.js';
import { LOCK_BODY_LIMIT } from './context.js';

interface StoreParams {
  store: string;
}

/** The two Dapr lock routes (the lock lane answers them too). */
export const DAPR_LOCK_ROUTES = {
  lock: '/v1.0-alpha1/lock/:store',
  unlock: '/v1.0-alpha1/unlock/:store',
} as const;

/** TryLock from a raw body, answered as daprd does. */
export async function daprTryLock(ctx: HttpContext, caller: Caller, store: string, raw: unknown) {
  const body = decodeDaprTryLock(decodeDaprJson(raw));
  const result = await ctx.service.dapr.tryLock(caller, store, body);
  return result.acquired ? { success: true, fencingToken: result.fencingToken } : { success: false };
}

/** Unlock from a raw body, answered as daprd does. */
export async function daprUnlock(ctx: HttpContext, caller: Caller, store: string, raw: unknown) {
  const body = decodeDaprUnlock(decodeDaprJson(raw));
  return { status: await ctx.service.dapr.unlock(caller, store, body) };
}

/** The Dapr-compatible lock API (`/v1.0-alpha1`), metadata and health, exactly as daprd answers. */
export function registerDaprRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const options = { bodyLimit: LOCK_BODY_LIMIT, config: { dapr: true } };

  app.post<{ Params: StoreParams }>(DAPR_LOCK_ROUTES.lock, options, (request) =>
    daprTryLock(ctx, request.caller, request.params.store, request.body),
  );
  app.post<{ Params: StoreParams }>(DAPR_LOCK_ROUTES.unlock, options, (request) =>
    daprUnlock(ctx, request.caller, request.params.store, request.body),
  );

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
