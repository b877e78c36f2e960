import { setMaxListeners } from 'node:events';
import type { Server as TlsServer } from 'node:tls';
import { LeaseholdService } from '@leasehold/core';
import type { StoreBinding } from '@leasehold/core';
import type { Logger } from 'pino';
import { callerFromHeaders, tokenFromHeaders } from './auth.js';
import { loadComponents } from './components.js';
import type { ComponentSpec } from './components.js';
import type { ServerSettings } from './config.js';
import { DEFAULT_SETTINGS } from './config.js';
import { checkExposure } from './exposure.js';
import { instrumentStore } from './metrics/instrument-store.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import { followStoreEvents } from './metrics/store-events.js';
import { startGrpcServer } from './grpc/index.js';
import type { RunningGrpcServer } from './grpc/index.js';
import { buildHttpApp } from './http/app.js';
import { createLogger } from './logging.js';
import { reloadFiles } from './reload.js';
import type { ReloadReport } from './reload.js';
import { ReloadableAuthenticator } from './reloadable-authenticator.js';
import { attachStream } from './stream/index.js';
import { logBanner, warnUnreadyStores } from './startup-report.js';
import { createStore } from './stores/create-store.js';
import { ServerTls } from './tls/server-tls.js';
import { tlsConfigured } from './tls/tls-files.js';

/** A started server. */
export interface RunningServer {
  readonly url: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly service: LeaseholdService;
  /** SHA-256 fingerprint of the certificate served, when TLS is on. */
  tlsFingerprint256(): string | undefined;
  /**
   * Reads the token file and the TLS files again (what SIGHUP does): new tokens apply to the next
   * request, removed ones stop working at once and close their client streams and watches, new
   * certificates apply to new connections. A broken file keeps the old one; the report says why.
   */
  reload(): ReloadReport;
  /** Stops accepting, ends waits, finishes in-flight requests, flushes and closes the stores. */
  close(): Promise<void>;
}

/** The default store when no component folder is given: `lockstore` on the embedded SQLite store. */
function defaultComponent(): ComponentSpec {
  return { name: 'lockstore', type: 'lock.sqlite', version: 'v1', metadata: new Map(), file: '(default)' };
}

/** Starts the HTTP (and gRPC) servers over the configured stores. */
export async function startServer(
  overrides: Partial<ServerSettings> = {},
  logger: Logger = createLogger(
    overrides.logLevel ?? DEFAULT_SETTINGS.logLevel,
    overrides.logFormat ?? DEFAULT_SETTINGS.logFormat,
  ),
): Promise<RunningServer> {
  const settings: ServerSettings = { ...DEFAULT_SETTINGS, ...overrides };
  const auth = new ReloadableAuthenticator(settings);
  const tls = tlsConfigured(settings) ? new ServerTls(settings) : undefined;
  checkExposure(
    { host: settings.host, insecure: settings.insecure, tokens: auth.enabled, tls: tls !== undefined },
    logger,
  );
  const { components, skipped, folderFound } = loadComponents(settings.componentsPath);
  for (const file of skipped) logger.info({ file }, 'skipping a component that is not a lock store');
  // Only a missing folder means "use the default store"; a folder with no lock stores means none (as daprd).
  const specs = folderFound ? components : [defaultComponent()];
  if (specs.length === 0)
    logger.warn(
      { folder: settings.componentsPath },
      `no lock store component in ${settings.componentsPath}: every lock call answers ERR_LOCK_STORE_NOT_CONFIGURED (remove the folder to use the default lock.sqlite store)`,
    );
  const bindings: StoreBinding[] = [];
  const metrics = new ServerMetrics();
  try {
    for (const spec of specs) {
      const store = await createStore(spec, { dataDir: settings.dataDir, warn: (text) => logger.warn(text) });
      bindings.push({
        name: spec.name,
        type: spec.type,
        keyPrefix: spec.metadata.get('keyprefix') ?? 'appid',
        store: instrumentStore(store, spec.name, metrics),
      });
    }
  } catch (error) {
    await Promise.allSettled(bindings.map((b) => b.store.close()));
    throw error;
  }
  const service = new LeaseholdService(bindings, {
    limits: { minTtlMs: settings.minTtlMs },
    quotas: (appId) => auth.quotasOf(appId),
    observe: metrics,
    // With no tokens every caller is the open admin: nothing to audit then.
    audit: auth.enabled
      ? (caller, op, store) =>
          logger.info(
            {
              admin: caller.actor ?? caller.appId,
              ...(caller.actor ? { app: caller.appId } : {}),
              op,
              store,
            },
            'admin action',
          )
      : undefined,
  });
  const unfollow = bindings.map((binding) => followStoreEvents(binding, metrics));
  const shutdown = new AbortController();
  // Every waiting acquire listens for shutdown; there may be thousands.
  setMaxListeners(0, shutdown.signal);
  const app = buildHttpApp(
    { service, auth, appId: settings.appId, shutdown: shutdown.signal, metrics },
    logger,
    tls ? { https: tls.serverOptions() } : {},
  );
  if (tls) tls.follow(app.server as unknown as TlsServer);
  // The client stream shares the HTTP port (DESIGN §4.4); upgraded sockets are closed by the stream itself.
  // It is attached, and gRPC started, before HTTP listens: once /healthz answers, every transport does.
  const stream = attachStream(app.server, {
    service,
    authenticate: (headers) => callerFromHeaders(auth, headers),
    track: (headers, caller) => auth.track(tokenFromHeaders(headers), caller),
    log: (msg, err) => logger.warn({ err }, msg),
  });
  let grpc: RunningGrpcServer | undefined;
  try {
    grpc = await startGrpcServer({
      service,
      authenticate: (token) => auth.authenticate(token),
      authEnabled: auth.enabled,
      host: settings.host,
      port: settings.grpcPort,
      ...(tls ? { credentials: tls.grpcCredentials } : {}),
      log: (msg, err) => logger.error({ err }, msg),
    });
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await stream.close();
    await Promise.all([app.close(), grpc?.close()]);
    for (const stop of unfollow) stop();
    await Promise.allSettled(bindings.map((b) => b.store.close()));
    throw error;
  }
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${httpPort}`;
  logBanner(logger, {
    url,
    grpc: `${host}:${grpc.port}`,
    tls: tls !== undefined,
    auth: `${auth.enabled ? 'tokens' : 'none'}, TLS ${tls ? (tls.mutualTls ? 'mutual' : 'server') : 'off'}`,
    stores: specs,
  });
  void warnUnreadyStores(logger, bindings);

  let closing: Promise<void> | undefined;
  return {
    url,
    httpPort,
    grpcPort: grpc.port,
    service,
    tlsFingerprint256: () => tls?.fingerprint256,
    reload: () => reloadFiles({ auth, tokenFile: settings.apiTokenFile, tls }, logger),
    close: () =>
      (closing ??= (async () => {
        shutdown.abort();
        // In-flight requests get a grace period; then remaining connections are cut.
        const force = setTimeout(() => app.server.closeAllConnections(), 5_000);
        force.unref();
        await stream.close();
        await Promise.all([app.close(), grpc.close()]);
        clearTimeout(force);
        for (const stop of unfollow) stop();
        await Promise.allSettled(bindings.map((b) => b.store.close()));
        logger.info('leasehold stopped');
      })()),
  };
}
