import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';

/** Liveness and readiness; open without a token. */
export function registerHealthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const open = { config: { public: true } };
  app.get('/healthz', open, () => ({ status: 'ok' }));
  app.get('/readyz', open, async (_request, reply) => {
    const checks = await Promise.all(
      ctx.service.bindings().map(async (b) => [b.name, await b.store.ping().catch(() => false)] as const),
    );
    const stores = Object.fromEntries(checks);
    const ready = !ctx.shutdown.aborted && checks.every(([, ok]) => ok);
    return reply.code(ready ? 200 : 503).send({ ready, stores });
  });
}
