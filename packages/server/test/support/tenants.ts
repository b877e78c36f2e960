import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import WebSocket from 'ws';
import { startServer } from '../../src/server.js';
import type { RunningServer } from '../../src/server.js';

/** The token of each test tenant: two apps and an admin. */
export const TOKENS = { orders: 'orders-token', billing: 'billing-token', ops: 'ops-token' } as const;

/** One of the test tenants. */
export type Tenant = keyof typeof TOKENS;

/** An HTTP reply: status and parsed body. */
export interface HttpReply {
  readonly status: number;
  readonly body: any;
}

/** A server with a token file of `orders`, `billing` and the admin `ops`, and the log it wrote. */
export interface TenantServer {
  readonly server: RunningServer;
  readonly logLines: Record<string, unknown>[];
  /** An HTTP call as `tenant`, with extra headers (e.g. `leasehold-app`). */
  http(
    tenant: Tenant,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpReply>;
  close(): Promise<void>;
}

/** A component file's YAML. */
function component(name: string, type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata).map(([k, v]) => `    - name: ${k}\n      value: "${v}"`);
  return [
    'apiVersion: dapr.io/v1alpha1',
    'kind: Component',
    `metadata:\n  name: ${name}`,
    `spec:\n  type: ${type}\n  version: v1\n  metadata:${items.length ? '\n' + items.join('\n') : ' []'}`,
    '',
  ].join('\n');
}

/**
 * Starts a server in-process on free ports with two stores of `type`: `lockstore` (keys scoped
 * per app) and `shared` (keyPrefix none, Dapr's way to share locks across apps). `quotas` are
 * per-tenant entries of the token file.
 */
export async function startTenantServer(
  type: string,
  metadata: Record<string, string>,
  options: { quotas?: Partial<Record<Tenant, Record<string, number>>> } = {},
): Promise<TenantServer> {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-tenants-'));
  mkdirSync(join(dir, 'components'));
  writeFileSync(join(dir, 'components', 'lockstore.yaml'), component('lockstore', type, metadata));
  writeFileSync(
    join(dir, 'components', 'shared.yaml'),
    component('shared', type, { ...metadata, keyPrefix: 'none' }),
  );
  const entries = (Object.keys(TOKENS) as Tenant[]).map((tenant) => ({
    token: TOKENS[tenant],
    appId: tenant,
    role: tenant === 'ops' ? 'admin' : 'app',
    ...(options.quotas?.[tenant] ? { quotas: options.quotas[tenant] } : {}),
  }));
  writeFileSync(join(dir, 'tokens.yaml'), JSON.stringify(entries));
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  const server = await startServer(
    {
      port: 0,
      grpcPort: 0,
      dataDir: join(dir, 'data'),
      componentsPath: join(dir, 'components'),
      apiTokenFile: join(dir, 'tokens.yaml'),
      minTtlMs: 100,
    },
    pino({ level: 'info' }, sink),
  );
  return {
    server,
    logLines,
    async http(tenant, method, path, body, headers = {}) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          'dapr-api-token': TOKENS[tenant],
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // plain text (Dapr's 401)
      }
      return { status: response.status, body: parsed };
    },
    close: () => server.close(),
  };
}

/** A raw client stream as `tenant`: one op per call, as the SDK frames them. */
export async function openStream(server: RunningServer, tenant: Tenant) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/stream`, {
    headers: { 'dapr-api-token': TOKENS[tenant] },
  });
  const waiting = new Map<number, (reply: any) => void>();
  ws.on('message', (data: Buffer) => {
    const parsed: unknown = JSON.parse(data.toString());
    for (const reply of (Array.isArray(parsed) ? parsed : [parsed]) as { id: number }[]) {
      waiting.get(reply.id)?.(reply);
    }
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 1;
  return {
    call(op: string, store: string, args: Record<string, unknown>): Promise<any> {
      const id = next++;
      const reply = new Promise((resolve) => waiting.set(id, resolve));
      ws.send(JSON.stringify({ id, op, store, ...args }));
      return reply;
    },
    close: () => ws.close(),
  };
}

/** Collects a watch's Server-Sent Events as `tenant` until `stop()`. */
export async function watchEvents(server: RunningServer, tenant: Tenant, store: string, prefix = '') {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/v1/${store}/watch?prefix=${encodeURIComponent(prefix)}`, {
    headers: { 'dapr-api-token': TOKENS[tenant] },
    signal: controller.signal,
  });
  const events: any[] = [];
  let raw = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) {
        raw += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let end = raw.indexOf('\n\n'); end >= 0; end = raw.indexOf('\n\n')) {
          const block = raw.slice(0, end);
          raw = raw.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // aborted by stop()
    }
  })();
  return {
    status: response.status,
    events,
    async stop() {
      controller.abort();
      await reading;
      return events;
    },
  };
}
