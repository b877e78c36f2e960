import type { StoreBinding } from '@leasehold/core';
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';

/** One store's readiness as `/readyz` reports it; `error` names the host and the cause. */
export interface StoreReadiness {
  readonly type: string;
  readonly ready: boolean;
  readonly error?: string;
}

/** Asks a store whether its backend answers, and why not when it does not. */
export async function storeReadiness(binding: StoreBinding): Promise<StoreReadiness> {
  try {
    const ready = await binding.store.ping();
    return ready ? { type: binding.type, ready } : { type: binding.type, ready, error: 'store is closed' };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { type: binding.type, ready: false, error: `${binding.type} store "${binding.name}": ${reason}` };
  }
}

/** Liveness and readiness; open without a token. */
export function registerHealthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const open = { config: { public: true } };
  app.get('/healthz', open, () => ({ status: 'ok' }));
  app.get('/readyz', open, async (_request, reply) => {
    const bindings = ctx.service.bindings();
    const checks = await Promise.all(bindings.map(storeReadiness));
    const stores = Object.fromEntries(bindings.map((b, i) => [b.name, checks[i]]));
    const ready = !ctx.shutdown.aborted && checks.every((c) => c.ready);
    return reply.code(ready ? 200 : 503).send({ ready, stores });
  });
}
