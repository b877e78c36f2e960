import type { StoreBinding } from '@leasehold/core';
import type { Logger } from 'pino';
import { storeReadiness } from './http/health-routes.js';

/** What the banner shows: where the server listens and what it serves. */
export interface BannerFacts {
  /** Base URL of the HTTP port, e.g. `http://127.0.0.1:3500`. */
  readonly url: string;
  /** `host:port` of the gRPC port. */
  readonly grpc: string;
  readonly tls: boolean;
  readonly auth: string;
  readonly stores: readonly { readonly name: string; readonly type: string }[];
}

/** The start-up banner: one entry with the URLs a person opens next, and the same as fields. */
export function logBanner(logger: Logger, facts: BannerFacts): void {
  const stores = facts.stores.map((s) => `${s.name} (${s.type})`);
  const lines = [
    `leasehold listening on ${facts.url}`,
    `  gRPC       ${facts.tls ? 'grpcs' : 'grpc'}://${facts.grpc}`,
    `  dashboard  ${facts.url}/ui`,
    `  metrics    ${facts.url}/metrics`,
    `  readiness  ${facts.url}/readyz`,
    `  stores     ${stores.length > 0 ? stores.join(', ') : 'none'}`,
    `  auth       ${facts.auth}`,
  ];
  // Pretty logs hide the `banner` field (the message says it all); JSON logs keep it for machines.
  const banner = {
    http: facts.url,
    grpc: facts.grpc,
    ui: `${facts.url}/ui`,
    metrics: `${facts.url}/metrics`,
    stores,
  };
  logger.info({ banner }, lines.join('\n'));
}

/**
 * Warns once per store whose backend does not answer at start (ADR 0009: the server starts anyway,
 * not ready, and the store reconnects in the background). Runs after listening, without delaying it.
 */
export async function warnUnreadyStores(logger: Logger, bindings: readonly StoreBinding[]): Promise<void> {
  const checks = await Promise.all(bindings.map(storeReadiness));
  for (const check of checks) {
    if (!check.ready)
      logger.warn(
        `${check.error ?? 'a store is not ready'}; serving anyway, /readyz answers 503 until it does`,
      );
  }
}
