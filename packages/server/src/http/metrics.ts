import { QUOTA_NAMES } from '@leasehold/core';
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { CellFamily } from '../metrics/cells.js';
import type { CounterCell, HistogramCell } from '../metrics/cells.js';
import { httpOp } from '../metrics/http-ops.js';
import { registerStoreGauges, withTimeout } from '../metrics/store-gauges.js';

/**
 * Prometheus metrics on `GET /metrics` (open, like the health endpoints: counts only, no names),
 * from the server's own registry (ServerMetrics), plus HTTP's own series and the store and quota
 * gauges read at scrape time.
 */
export function registerMetrics(app: FastifyInstance, ctx: HttpContext): Registry {
  const registry = ctx.metrics.registry;
  // Plain-number cells, as ServerMetrics' hot-path series: prom-client hashes labels per call.
  const requests = new CellFamily<CounterCell>(
    registry,
    'leasehold_http_requests_total',
    'HTTP requests by route, method and status code.',
    ['route', 'method', 'status'],
  );
  const duration = new CellFamily<HistogramCell>(
    registry,
    'leasehold_http_request_duration_seconds',
    'HTTP request duration by route (waiting acquires included).',
    ['route'],
    [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    true,
  );
  registerStoreGauges(registry, ctx.service);
  registerQuotaMetrics(registry, ctx);

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    requests.labels(route, request.method, String(reply.statusCode)).inc();
    duration.labels(route).observe(seconds);
    const op = httpOp(request.method, route, request.query);
    if (op !== undefined) {
      const outcome = reply.statusCode < 400 ? 'ok' : (reply.errorCode ?? `HTTP_${reply.statusCode}`);
      const store = (request.params as { store?: string } | undefined)?.store ?? '';
      ctx.service.observer?.requestDone('http', op, store, outcome, seconds);
    }
    done();
  });
  app.get('/metrics', { config: { public: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}

/**
 * Usage and limit per app and quota, read at scrape time for the apps the tokens name. Stored
 * state (leases, locks, keys, bytes, counters) is per store; watchers and waiters per server.
 */
function registerQuotaMetrics(registry: Registry, ctx: HttpContext): void {
  new Gauge({
    name: 'leasehold_quota_usage',
    help: 'What each app holds, per quota (store "*" for per-server quotas).',
    labelNames: ['app', 'store', 'quota'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const appId of ctx.auth.appIds) {
        const server = ctx.service.serverUsage(appId);
        this.set({ app: appId, store: '*', quota: 'watchers' }, server.watchers);
        this.set({ app: appId, store: '*', quota: 'waiters' }, server.waiters);
        for (const { store, usage } of (await withTimeout(ctx.service.usage(appId))) ?? []) {
          if (!usage) continue;
          for (const quota of ['leases', 'locks', 'keys', 'keyBytes', 'counters'] as const) {
            this.set({ app: appId, store, quota }, usage[quota]);
          }
        }
      }
    },
  });
  new Gauge({
    name: 'leasehold_quota_limit',
    help: "Each app's quota, where one is set.",
    labelNames: ['app', 'quota'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const appId of ctx.auth.appIds) {
        const quotas = ctx.auth.quotasOf(appId);
        for (const quota of QUOTA_NAMES) {
          if (Number.isFinite(quotas[quota])) this.set({ app: appId, quota }, quotas[quota]);
        }
      }
    },
  });
}
