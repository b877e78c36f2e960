import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../src/index.js';
import type { RunningServer } from '../src/index.js';
import { describeWithBackend } from './support/backends.js';
import { EtcdCluster } from './support/etcd-harness.js';
import { RedisServer } from './support/redis-harness.js';

// ADR 0009: every store starts while its backend is down, reports it on /readyz, and recovers by itself.

interface Readiness {
  status: number;
  body: { ready: boolean; stores: Record<string, { type: string; ready: boolean; error?: string }> };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A components folder with one `lockstore` of `type` and the given metadata. */
function components(type: string, metadata: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-backend-'));
  dirs.push(dir);
  const items = Object.entries(metadata).map(([name, value]) => `  - name: ${name}\n    value: "${value}"`);
  const yaml = `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: lockstore\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items.join('\n')}\n`;
  writeFileSync(join(dir, 'lockstore.yaml'), yaml);
  return dir;
}

async function start(componentsPath: string): Promise<RunningServer> {
  return startServer({ port: 0, grpcPort: 0, componentsPath }, pino({ level: 'silent' }));
}

/** Starts a server whose log lines (JSON) land in the returned array. */
async function startLogged(componentsPath: string): Promise<{ server: RunningServer; lines: string[] }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const server = await startServer({ port: 0, grpcPort: 0, componentsPath }, pino({ level: 'info' }, sink));
  return { server, lines };
}

/** Sends one request over a raw client stream and returns its reply. */
async function streamCall(
  server: RunningServer,
  request: object,
): Promise<{ error?: { errorCode: string } }> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/stream`);
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) =>
      ws.once('message', (data: Buffer) => resolve(data.toString())),
    );
    ws.send(JSON.stringify({ id: 1, store: 'lockstore', ...request }));
    return JSON.parse(await reply) as { error?: { errorCode: string } };
  } finally {
    ws.close();
  }
}

async function readiness(server: RunningServer): Promise<Readiness> {
  const res = await fetch(`${server.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

/** Polls /readyz until `ready` matches, for up to `ms`; returns the last answer. */
async function waitReady(server: RunningServer, ready: boolean, ms = 15_000): Promise<Readiness> {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await readiness(server);
    if (answer.body.ready === ready || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tryLock(server: RunningServer, resourceId: string): Promise<number> {
  const res = await fetch(`${server.url}/v1.0-alpha1/lock/lockstore`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceId, lockOwner: 'o', expiryInSeconds: 10 }),
  });
  return res.status;
}

describe('backend failures', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describeWithBackend('redis-server', 'lock.redis', (binary) => {
    it('starts while Redis is down, names the host and cause on /readyz, and is ready once Redis starts', async () => {
      const redis = await RedisServer.start(binary);
      try {
        await redis.stop('SIGKILL');
        server = await start(components('lock.redis', { redisHost: redis.address }));
        const down = await readiness(server);
        expect(down.status).toBe(503);
        expect(down.body.stores.lockstore).toEqual({
          type: 'lock.redis',
          ready: false,
          error: `lock.redis store "lockstore": cannot reach ${redis.address}: ECONNREFUSED`,
        });
        expect(await tryLock(server, 'early')).toBe(500);
        await redis.restart();
        const up = await waitReady(server, true);
        expect(up).toEqual({
          status: 200,
          body: { ready: true, stores: { lockstore: { type: 'lock.redis', ready: true } } },
        });
        expect(await tryLock(server, 'late')).toBe(200);
      } finally {
        await redis.destroy();
      }
    }, 60_000);

    it('logs the cause of a STORE_ERROR answered over the client stream, as HTTP does', async () => {
      const redis = await RedisServer.start(binary);
      try {
        const logged = await startLogged(components('lock.redis', { redisHost: redis.address }));
        server = logged.server;
        await redis.stop('SIGKILL');
        await waitReady(server, false);
        const reply = await streamCall(server, { op: 'leases.grant', ttlMs: 5000 });
        expect(reply.error?.errorCode).toBe('STORE_ERROR');
        const failures = logged.lines
          .map((line) => JSON.parse(line) as { msg: string; err?: { message?: string } })
          .filter((entry) => entry.msg.startsWith('stream request failed: STORE_ERROR'));
        expect(failures.length).toBeGreaterThan(0);
        expect(failures[0]?.err?.message).toBeTruthy();
      } finally {
        await redis.destroy();
      }
    }, 60_000);

    it('goes not ready naming the store when Redis dies, and ready again when it returns', async () => {
      const redis = await RedisServer.start(binary);
      try {
        server = await start(components('lock.redis', { redisHost: redis.address }));
        expect((await readiness(server)).status).toBe(200);
        await redis.stop('SIGKILL');
        const down = await waitReady(server, false);
        expect(down.status).toBe(503);
        expect(down.body.stores.lockstore?.error).toMatch(
          new RegExp(`^lock\\.redis store "lockstore": cannot reach ${redis.address}: `),
        );
        await redis.restart();
        expect((await waitReady(server, true)).status).toBe(200);
        expect(await tryLock(server, 'after')).toBe(200);
      } finally {
        await redis.destroy();
      }
    }, 60_000);
  });

  describeWithBackend('etcd', 'lock.etcd', (binary) => {
    it('starts while etcd is down, names the endpoint and cause, and is ready once etcd starts', async () => {
      const etcd = await EtcdCluster.start(binary, 1);
      try {
        await etcd.kill(0);
        server = await start(components('lock.etcd', { endpoints: etcd.endpoints, timeoutMs: '1000' }));
        const down = await readiness(server);
        expect(down.status).toBe(503);
        expect(down.body.stores.lockstore).toEqual({
          type: 'lock.etcd',
          ready: false,
          error: `lock.etcd store "lockstore": cannot reach ${etcd.endpoints}: ECONNREFUSED`,
        });
        await etcd.restart(0);
        expect((await waitReady(server, true)).status).toBe(200);
        expect(await tryLock(server, 'late')).toBe(200);
      } finally {
        await etcd.stop();
      }
    }, 60_000);

    it('goes not ready naming the store when etcd dies, and ready again when it returns', async () => {
      const etcd = await EtcdCluster.start(binary, 1);
      try {
        server = await start(components('lock.etcd', { endpoints: etcd.endpoints, timeoutMs: '1000' }));
        expect((await waitReady(server, true)).status).toBe(200);
        await etcd.kill(0);
        const down = await waitReady(server, false);
        expect(down.status).toBe(503);
        expect(down.body.stores.lockstore?.error).toMatch(/^lock\.etcd store "lockstore": cannot reach /);
        await etcd.restart(0);
        expect((await waitReady(server, true)).status).toBe(200);
      } finally {
        await etcd.stop();
      }
    }, 60_000);
  });
});
