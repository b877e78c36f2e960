import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseholdService } from '@leasehold/core';
import { startServer } from '@leasehold/server';

/** A real server: the HTTP API and the client stream, on one port as in production. */
export interface TestServer {
  readonly httpUrl: string;
  readonly streamUrl: string;
  readonly httpPort: number;
  readonly streamPort: number;
  readonly service: LeaseholdService;
  close(): Promise<void>;
}

/**
 * Starts a server on free loopback ports over a fresh SQLite data dir, accepting TTLs from 100 ms;
 * with `tls` (file paths) it serves HTTPS, and mutual TLS when `tls.ca` is given.
 */
export async function startTestServer(
  options: { token?: string; tls?: { cert: string; key: string; ca?: string } } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-sdk-'));
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    grpcPort: 0,
    dataDir,
    componentsPath: join(dataDir, 'components'),
    appId: 'test-app',
    minTtlMs: 100,
    logLevel: 'warn',
    apiToken: options.token,
    ...(options.tls ? { tlsCert: options.tls.cert, tlsKey: options.tls.key, tlsCa: options.tls.ca } : {}),
  });
  return {
    httpUrl: server.url,
    httpPort: server.httpPort,
    streamUrl: server.url,
    streamPort: server.httpPort,
    service: server.service,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
