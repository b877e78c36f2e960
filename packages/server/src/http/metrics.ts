import { QUOTA_NAMES } from '@leasehold/core';
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { CellFamily } from '../metrics/cells.js';
import type { CounterCell, HistogramCell } from '../metrics/cells.js';
import { httpOp } from '../metrics/http-ops.js';
import { registerStoreGauges, withTimeout } from '../metrics/store-gauges.js';

/** Counts one answered HTTP request: its route pattern, method, status and, for an op, its outcome. */
export type ObserveHttp = (
  route: string,
  method: string,
  statusCode: number,
  errorCode: string | undefined,
  query: unknown,
  store: string,
  seconds: number,
) => void;

/**
 * HTTP's own series on the server's registry, and the one function that counts a request into them
 * and into the service's observer: fastify's onResponse hook and the lock lane (lock-lane.ts) share it.
 */
export function httpSeries(ctx: HttpContext): ObserveHttp {
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
  return (route, method, statusCode, errorCode, query, store, seconds) => {
    requests.labels(route, method, String(statusCode)).inc();
    duration.labels(route).observe(seconds);
    const op = httpOp(method, route, query);
    if (op === undefined) return;
    const outcome = statusCode < 400 ? 'ok' : (errorCode ?? `HTTP_${statusCode}`);
    ctx.service.observer?.requestDone('http', op, store, outcome, seconds);
  };
}

/**
 * Prometheus metrics on `GET /metrics` (open, like the health endpoints: counts only, no names),
 * from the server's own registry (ServerMetrics), plus HTTP's own series (`observe`, from
 * httpSeries) and the store and quota gauges read at scrape time.
 */
export function registerMetrics(app: FastifyInstance, ctx: HttpContext, observe: ObserveHttp): Registry {
  const registry = ctx.metrics.registry;
  registerStoreGauges(registry, ctx.service);
  registerQuotaMetrics(registry, ctx);

  app.addHook('onResponse', (request, reply, done) => {
    const store = (request.params as { store?: string } | undefined)?.store ?? '';
    const route = request.routeOptions.url ?? 'unmatched';
    observe(
      route,
      request.method,
      reply.statusCode,
      reply.errorCode,
      request.query,
      store,
      reply.elapsedTime / 1000,
    );
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
