import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockService } from '@leasehold/core';
import { attachStream, startServer, tokenFromHeaders } from '@leasehold/server';

/** A real server: the HTTP API from `startServer`, and the client stream on its own port until it is wired in. */
export interface TestServer {
  readonly httpUrl: string;
  readonly streamUrl: string;
  readonly httpPort: number;
  readonly streamPort: number;
  readonly service: LockService;
  close(): Promise<void>;
}

/** Starts a server on free loopback ports over a fresh SQLite data dir, accepting TTLs from 100 ms. */
export async function startTestServer(options: { token?: string } = {}): Promise<TestServer> {
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
  });
  const caller = { appId: 'test-app', role: 'app' as const };
  const http = createServer((_request, response) => response.writeHead(404).end());
  const stream = attachStream(http, {
    service: server.service,
    authenticate: (headers) =>
      options.token === undefined || tokenFromHeaders(headers) === options.token ? caller : undefined,
    heartbeatMs: 5_000,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const streamPort = typeof address === 'object' && address ? address.port : 0;
  return {
    httpUrl: server.url,
    httpPort: server.httpPort,
    streamUrl: `http://127.0.0.1:${streamPort}`,
    streamPort,
    service: server.service,
    close: async () => {
      await stream.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
