import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LockLane } from '../src/http/lock-lane.js';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { getJson, postJson } from './support/server-process.js';

let server: RunningServer;
let dir: string;
const take = vi.spyOn(LockLane.prototype, 'take');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leasehold-lane-'));
  server = await startServer(
    { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'none'), minTtlMs: 100 },
    pino({ level: 'silent' }),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends one request on a fresh socket, with a Content-Length or chunked, and returns the raw reply. */
function raw(path: string, text: string | Buffer, chunked: boolean): Promise<string> {
  const body = Buffer.from(text);
  const head = `POST ${path} HTTP/1.1\r\nHost: lane\r\nContent-Type: application/json\r\n`;
  const framing = chunked
    ? [`Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`, body, '\r\n0\r\n\r\n']
    : [`Content-Length: ${body.length}\r\n\r\n`, body];
  const request = Buffer.concat([head, ...framing].map((part) => Buffer.from(part)));
  return new Promise((resolve, reject) => {
    const socket = connect(server.httpPort, '127.0.0.1');
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      reply += chunk;
      const [, text = ''] = reply.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(reply)?.[1] ?? NaN);
      if (Buffer.byteLength(text) >= length) socket.end();
    });
    socket.once('end', () => resolve(reply.replace(/^Date: .*\r\n/im, '')));
    socket.once('error', reject);
    socket.write(request);
  });
}

/** The lane's reply (Content-Length) and fastify's (the same body chunked, which the lane leaves). */
async function bothWays(path: string, body: string | Buffer): Promise<[lane: string, fastify: string]> {
  take.mockClear();
  const lane = await raw(path, body, false);
  const fastify = await raw(path, body, true);
  expect(take.mock.results.map((r) => r.value)).toEqual([true, false]);
  return [lane, fastify];
}

const base = () => server.url;

describe('the lock lane answers the hot lock routes as fastify does', () => {
  it.each([
    ['a lock on an unknown lease', '/v1/lockstore/locks/acquire', '{"name":"x","leaseId":"nope"}'],
    ['a release of a lock not held', '/v1/lockstore/locks/release', '{"name":"free","leaseId":"nope"}'],
    ['malformed JSON', '/v1/lockstore/locks/acquire', '{"name":'],
    ['a body that is not UTF-8', '/v1/lockstore/locks/release', Buffer.from([0x7b, 0xff, 0x7d])],
    ['a Dapr body that is not UTF-8', '/v1.0-alpha1/unlock/lockstore', Buffer.from([0x7b, 0xff, 0x7d])],
    ['an unknown store', '/v1/nostore/locks/acquire', '{"name":"x","leaseId":"nope"}'],
    [
      'a Dapr TryLock missing its owner',
      '/v1.0-alpha1/lock/lockstore',
      '{"resourceId":"r","expiryInSeconds":5}',
    ],
    [
      'a Dapr Unlock of a lock not held',
      '/v1.0-alpha1/unlock/lockstore',
      '{"resourceId":"r","lockOwner":"o"}',
    ],
    [
      'a Dapr TryLock on an unknown store',
      '/v1.0-alpha1/lock/nostore',
      '{"resourceId":"r","lockOwner":"o","expiryInSeconds":5}',
    ],
  ])('%s: byte for byte the same reply', async (_case, path, body) => {
    const [lane, fastify] = await bothWays(path, body);
    expect(lane).toBe(fastify);
  });

  it('a granted acquire and its release: the same status line and headers, then the same answers', async () => {
    const lease = (await postJson(`${base()}/v1/lockstore/leases`, { ttlMs: 60_000 })).body.id as string;
    const heads: string[] = [];
    for (const chunked of [false, true]) {
      const lock = JSON.stringify({ name: `granted-${chunked}`, leaseId: lease });
      const taken = await raw('/v1/lockstore/locks/acquire', lock, chunked);
      const [head = '', text = ''] = taken.split('\r\n\r\n');
      expect(JSON.parse(text)).toEqual({ acquired: true, fencingToken: expect.any(Number) });
      heads.push(head.replace(/content-length: \d+/i, ''));
      const released = await raw('/v1/lockstore/locks/release', lock, chunked);
      expect(JSON.parse(released.split('\r\n\r\n')[1]!)).toEqual({ status: 'released' });
    }
    expect(heads[0]).toBe(heads[1]);
  });

  it('leaves to fastify what it does not serve: a query string, an empty body, an encoded store', async () => {
    take.mockClear();
    await raw('/v1/lockstore/locks/acquire?x=1', '{"name":"q","leaseId":"nope"}', false);
    await raw('/v1/lockstore/locks/release', '', false);
    await raw('/v1/lock%73tore/locks/release', '{"name":"e","leaseId":"nope"}', false);
    expect(take.mock.results.map((r) => r.value)).toEqual([false, false, false]);
  });

  it('counts what it answers in the HTTP metrics, as the routes do', async () => {
    const series = (text: string) =>
      Number(
        /leasehold_http_requests_total\{route="\/v1\/:store\/locks\/release",method="POST",status="200"\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    const metrics = async () => (await fetch(`${base()}/metrics`)).text();
    const before = series(await metrics());
    await raw('/v1/lockstore/locks/release', '{"name":"counted","leaseId":"nope"}', false);
    expect(series(await metrics())).toBe(before + 1);
    expect((await getJson(`${base()}/healthz`)).status).toBe(200);
  });
});
