import { LeaseholdError } from '@leasehold/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NATIVE_BODY_ERRORS, decodeJson } from './body.js';
import type { HttpContext } from './context.js';
import { KV_BODY_LIMIT, LOCK_BODY_LIMIT } from './context.js';

type Params = { store: string; id: string };
type Query = Record<string, string | undefined>;
type R = { Params: Params; Querystring: Query };
type Req = FastifyRequest<R>;

const lockLimit = { bodyLimit: LOCK_BODY_LIMIT };
const kvLimit = { bodyLimit: KV_BODY_LIMIT };

function body(request: Req): unknown {
  return decodeJson(request.body, NATIVE_BODY_ERRORS, true);
}

/** The native lease, lock, KV and counter API (`/v1/{store}/...`). Names travel in bodies or queries. */
export function registerNativeRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const s = ctx.service;

  app.get('/v1/stores', (request) => ({ stores: s.storesFor(request.caller) }));

  // Leases
  app.post<R>('/v1/:store/leases', lockLimit, (r: Req) => s.grantLease(r.caller, r.params.store, body(r)));
  app.post<R>('/v1/:store/leases/:id/keepalive', lockLimit, (r: Req) =>
    s.keepAlive(r.caller, r.params.store, r.params.id),
  );
  app.delete<R>('/v1/:store/leases/:id', (r: Req) => s.revokeLease(r.caller, r.params.store, r.params.id));
  app.get<R>('/v1/:store/leases', async (r: Req) => ({
    leases: await s.listLeases(r.caller, r.params.store),
  }));
  app.get<R>('/v1/:store/leases/:id', (r: Req) => s.getLease(r.caller, r.params.store, r.params.id));

  // Locks
  app.post<R>('/v1/:store/locks/acquire', lockLimit, (r: Req, reply) => acquire(ctx, r, reply));
  app.post<R>('/v1/:store/locks/release', lockLimit, (r: Req) =>
    s.release(r.caller, r.params.store, body(r)),
  );
  app.post<R>('/v1/:store/locks/force-release', lockLimit, (r: Req) =>
    s.forceRelease(r.caller, r.params.store, body(r)),
  );
  app.get<R>('/v1/:store/locks', async (r: Req) => {
    if (r.query.name !== undefined) return s.describeLock(r.caller, r.params.store, r.query.name);
    return { locks: await s.listLocks(r.caller, r.params.store, r.query.prefix ?? '') };
  });
  app.get<R>('/v1/:store/locks/check', (r: Req) =>
    s.checkLock(r.caller, r.params.store, r.query.name, r.query.token),
  );

  // KV
  app.put<R>('/v1/:store/kv', kvLimit, (r: Req) => s.put(r.caller, r.params.store, body(r)));
  app.get<R>('/v1/:store/kv', (r: Req) => {
    const { prefix, limit, after } = r.query;
    if (prefix === undefined && limit === undefined && after === undefined)
      return s.get(r.caller, r.params.store, r.query.key);
    return s.listKeys(r.caller, r.params.store, r.query);
  });
  app.delete<R>('/v1/:store/kv', (r: Req) => s.delete(r.caller, r.params.store, r.query.key));

  // Counters
  app.post<R>('/v1/:store/counters/add', lockLimit, (r: Req) =>
    s.counterAdd(r.caller, r.params.store, body(r)),
  );
  app.get<R>('/v1/:store/counters', (r: Req) => s.counterGet(r.caller, r.params.store, r.query.name));
  app.put<R>('/v1/:store/counters', lockLimit, (r: Req) => s.counterSet(r.caller, r.params.store, body(r)));
}

/**
 * A blocking acquire leaves the queue when its client goes away or the server shuts down, and a
 * grant that can no longer be delivered is released at once, so nobody holds a lock unknowingly.
 */
async function acquire(ctx: HttpContext, request: Req, reply: FastifyReply<R>) {
  const input = body(request);
  const controller = new AbortController();
  const onGone = () => {
    if (!reply.raw.writableEnded) controller.abort();
  };
  reply.raw.on('close', onGone);
  const onShutdown = () => controller.abort();
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  try {
    const result = await ctx.service.acquire(request.caller, request.params.store, input, controller.signal);
    if (ctx.shutdown.aborted && !result.acquired)
      throw new LeaseholdError('UNAVAILABLE', 'server is shutting down');
    if (result.acquired && controller.signal.aborted && !ctx.shutdown.aborted) {
      await ctx.service.release(request.caller, request.params.store, input);
    }
    return result;
  } finally {
    reply.raw.off('close', onGone);
    ctx.shutdown.removeEventListener('abort', onShutdown);
  }
}
