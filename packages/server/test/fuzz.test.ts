import { rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { MethodDefinition, ServiceError } from '@grpc/grpc-js';
import { LeaseholdClient } from '@leasehold/client';
import { ERROR_TABLE } from '@leasehold/core';
import type { ErrorCode, LocalStore } from '@leasehold/core';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadDaprService } from '../src/grpc/grpc-server.js';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { dataDirWithComponent } from './support/components.js';
import { grpcCases, httpCases, streamCases } from './support/hostile-inputs.js';
import type {
  Fixtures,
  GrpcCase,
  HostileCase,
  HttpCase,
  Sender,
  StreamCase,
} from './support/hostile-inputs.js';
import { rawRequest } from './support/raw-http.js';
import { storeState } from './support/store-state.js';

/*
 * Hostile input changes nothing and never gets a reset (DESIGN §8): LEASEHOLD_FUZZ_CASES generated
 * requests (default 10,000) over every HTTP route, the client stream and the gRPC port, against a
 * real server on lock.memory with two apps and an admin, while an SDK client works beside them.
 */
const CASES = Number(process.env.LEASEHOLD_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.LEASEHOLD_FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONCURRENCY = 16;
const TOKENS: Record<Sender, string> = {
  orders: 'tok-orders',
  billing: 'tok-billing',
  admin: 'tok-admin',
  nobody: 'tok-wrong',
};
const DAPR_500: readonly string[] = ['ERR_TRY_LOCK', 'ERR_UNLOCK', 'ERR_LOCK_STORE_NOT_CONFIGURED'];
const NORMAL = 'normal';

interface Totals {
  cases: number;
  http: number;
  stream: number;
  grpc: number;
  ok4xx: number;
  harmless2xx: number;
  fiveXX: number;
  resets: number;
  changes: number;
  unexpected2xx: number;
  noAnswer: number;
  foreignMismatch: number;
  clientErrors: number;
  byCategory: Record<string, number>;
  /** Failures by kind and category, e.g. `unexpected2xx/foreign-lease`. */
  failuresBy: Record<string, number>;
  failures: string[];
}

/** The model: which 2xx answers are no-ops (a lock not taken, a release of nothing, a read). */
function harmless(method: string, path: string, body: Record<string, unknown>): boolean {
  if (method === 'GET') return true;
  if (path.endsWith('/locks/acquire')) return body.acquired === false;
  if (path.endsWith('/locks/release')) return body.status !== 'released';
  if (path.endsWith('/locks/force-release')) return body.released === false;
  if (/\/leases\/[^/]+$/.test(path) && method === 'DELETE') return body.revoked === false;
  if (path.startsWith('/v1.0-alpha1/lock/')) return body.success === false;
  if (path.startsWith('/v1.0-alpha1/unlock/')) return body.status !== 0;
  return false;
}

const STREAM_READS = new Set([
  'getLease',
  'describeLock',
  'listLocks',
  'checkLock',
  'get',
  'counterGet',
  'watch',
]);
function harmlessResult(op: string, result: Record<string, unknown>): boolean {
  if (STREAM_READS.has(op)) return true;
  if (op === 'acquire') return result.acquired === false;
  if (op === 'release') return result.status !== 'released';
  if (op === 'revokeLease') return result.revoked === false;
  return false;
}

const errorCodeOf = (text: string): string | undefined => {
  try {
    return (JSON.parse(text) as { errorCode?: string }).errorCode;
  } catch {
    return undefined;
  }
};

describe('fuzz: hostile input over HTTP, the client stream and gRPC', () => {
  let server: RunningServer;
  let dataDir: string;
  let store: LocalStore;
  let fixtures: Fixtures;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  beforeAll(async () => {
    dataDir = dataDirWithComponent('lock.memory', {});
    const tokenFile = join(dataDir, 'tokens.yaml');
    writeFileSync(
      tokenFile,
      [
        `- { token: ${TOKENS.orders}, appId: orders }`,
        `- { token: ${TOKENS.billing}, appId: billing }`,
        `- { token: ${TOKENS.admin}, appId: ops, role: admin }`,
      ].join('\n'),
    );
    server = await startServer(
      { port: 0, grpcPort: 0, dataDir, componentsPath: join(dataDir, 'components'), apiTokenFile: tokenFile },
      pino({ level: 'silent' }),
    );
    store = server.service.binding('lockstore').store as LocalStore;
    const leaseIds = { orders: '', billing: '' };
    for (const app of ['orders', 'billing'] as const) {
      const caller = { appId: app, role: 'app' } as const;
      const s = server.service;
      const lease = await s.leases.grant(caller, 'lockstore', { ttlMs: 3_600_000, owner: `${app}-fixture` });
      leaseIds[app] = lease.id;
      await s.locks.acquire(caller, 'lockstore', { name: `${app}/held`, leaseId: lease.id });
      await s.kv.put(caller, 'lockstore', { key: `${app}/key`, value: 'v', leaseId: lease.id });
      await s.kv.put(caller, 'lockstore', { key: `${app}/free`, value: 'w' });
      await s.counters.set(caller, 'lockstore', { name: `${app}/count`, value: 7 });
      await s.dapr.tryLock(caller, 'lockstore', {
        resourceId: `${app}/dapr`,
        lockOwner: `${app}-owner`,
        expiryInSeconds: 3_600,
      });
    }
    fixtures = { leaseIds };
  });
  afterAll(async () => {
    agent.destroy();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    `${CASES} hostile requests get their 4xx, change nothing, and never reset`,
    { timeout: 600_000 },
    async () => {
      const started = Date.now();
      const skip = (key: string) => key === NORMAL || key.includes(`||${NORMAL}/`);
      const before = storeState(store, skip);
      const totals: Totals = {
        cases: 0,
        http: 0,
        stream: 0,
        grpc: 0,
        ok4xx: 0,
        harmless2xx: 0,
        fiveXX: 0,
        resets: 0,
        changes: 0,
        unexpected2xx: 0,
        noAnswer: 0,
        foreignMismatch: 0,
        clientErrors: 0,
        byCategory: {},
        failuresBy: {},
        failures: [],
      };
      const fail = (kind: keyof Totals, what: HostileCase, detail: string) => {
        (totals[kind] as number) += 1;
        const key = `${kind}/${what.category}`;
        totals.failuresBy[key] = (totals.failuresBy[key] ?? 0) + 1;
        // A few examples of each kind of failure.
        if (totals.failuresBy[key] <= 3)
          totals.failures.push(`${kind} [${what.category}] ${describeCase(what)} → ${detail.slice(0, 300)}`);
      };

      const normal = runNormalClient(server.url);
      const http = httpChannel(server, agent, fail, totals);
      const stream = streamChannel(server, fail, totals);
      const grpc = await grpcChannel(server, fail, totals);

      const httpCount = Math.round(CASES * 0.6);
      const streamCount = Math.round(CASES * 0.25);
      const cases: HostileCase[] = [
        ...fc.sample(httpCases(fixtures), { numRuns: httpCount, seed: SEED }),
        ...fc.sample(streamCases(fixtures), { numRuns: streamCount, seed: SEED + 1 }),
        ...fc.sample(grpcCases(), { numRuns: CASES - httpCount - streamCount, seed: SEED + 2 }),
      ];
      // Interleave the channels, then run with bounded concurrency.
      cases.sort((a, b) => hash(describeCase(a)) - hash(describeCase(b)));
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, worker) => {
          for (let i = next++; i < cases.length; i = next++) {
            const c = cases[i]!;
            totals.cases += 1;
            totals.byCategory[c.category] = (totals.byCategory[c.category] ?? 0) + 1;
            if (c.channel === 'http') await http(c);
            else if (c.channel === 'stream') await stream.run(c, worker);
            else await grpc.run(c);
          }
        }),
      );
      const normalResult = await normal.stop();
      stream.close();
      grpc.close();
      const after = storeState(store, skip);
      if (after !== before) {
        totals.changes += 1;
        totals.failures.push(`changes: ${diff(before, after)}`);
      }
      totals.clientErrors = normalResult.errors.length;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `fuzz: ${totals.cases} cases (http ${totals.http}, stream ${totals.stream}, grpc ${totals.grpc}) in ${seconds} s, seed ${SEED}: ` +
          `4xx ${totals.ok4xx}, harmless 2xx ${totals.harmless2xx}, 5xx ${totals.fiveXX}, resets ${totals.resets}, changes ${totals.changes}, ` +
          `unexpected 2xx ${totals.unexpected2xx}, no answer ${totals.noAnswer}, foreign-lease mismatches ${totals.foreignMismatch}, ` +
          `normal client ${normalResult.rounds} rounds / ${totals.clientErrors} errors`,
      );
      if (totals.failures.length > 0)
        console.log(`fuzz failures: ${JSON.stringify(totals.failuresBy)}\n${totals.failures.join('\n')}`);
      console.log(`fuzz categories: ${JSON.stringify(totals.byCategory)}`);
      expect(normalResult.errors).toEqual([]);
      expect(normalResult.rounds).toBeGreaterThan(0);
      expect({
        fiveXX: totals.fiveXX,
        resets: totals.resets,
        changes: totals.changes,
        unexpected2xx: totals.unexpected2xx,
        noAnswer: totals.noAnswer,
        foreignMismatch: totals.foreignMismatch,
      }).toEqual({ fiveXX: 0, resets: 0, changes: 0, unexpected2xx: 0, noAnswer: 0, foreignMismatch: 0 });
      expect(totals.cases).toBe(CASES);
    },
  );
});

type Fail = (kind: keyof Totals, what: HostileCase, detail: string) => void;

function describeCase(c: HostileCase): string {
  if (c.channel === 'http')
    return `${c.sender} ${c.method} ${c.path} ${c.body ? c.body.subarray(0, 120).toString() : ''}`;
  if (c.channel === 'stream') return `${c.sender} stream ${c.frame.slice(0, 160)}`;
  return `${c.sender} grpc ${c.method} ${Buffer.isBuffer(c.request) ? c.request.toString('hex') : JSON.stringify(c.request).slice(0, 160)}`;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i += 1) h = (h * 31 + text.charCodeAt(i)) | 0;
  return h;
}

function diff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const at = a.findIndex((line, i) => line !== b[i]);
  return `state changed near: ${a.slice(Math.max(0, at - 3), at + 3).join(' ')} ⇒ ${b.slice(Math.max(0, at - 3), at + 3).join(' ')}`;
}

/** Sends HTTP cases; classifies the answer; a foreign lease id must answer like a random one. */
function httpChannel(server: RunningServer, agent: Agent, fail: Fail, totals: Totals) {
  const send = (c: HttpCase, path: string, body: Buffer | undefined) =>
    rawRequest(`${server.url}${path}`, {
      method: c.method,
      agent,
      headers: { 'dapr-api-token': TOKENS[c.sender], ...c.headers },
      ...(body ? { body } : {}),
      untilHeaders: path.includes('/watch'),
    });
  return async (c: HttpCase) => {
    totals.http += 1;
    const outcome = await send(c, c.path, c.body);
    if ('error' in outcome) return fail('resets', c, `${outcome.error} ${outcome.message}`);
    const code = errorCodeOf(outcome.body);
    if (c.foreign) {
      const random = 'f'.repeat(32);
      const swap = (text: string) => text.replaceAll(c.foreign!.leaseId, random);
      const twin = await send(c, swap(c.path), c.body ? Buffer.from(swap(c.body.toString())) : undefined);
      const twinCode = 'status' in twin ? `${twin.status} ${errorCodeOf(twin.body)}` : twin.error;
      if (`${outcome.status} ${code}` !== twinCode)
        fail(
          'foreignMismatch',
          c,
          `${outcome.status} ${outcome.body} but a random lease id gets ${twinCode}`,
        );
    }
    classify(c, outcome.status, code, outcome.body, fail, totals);
  };
}

function classify(
  c: HttpCase,
  status: number,
  code: string | undefined,
  text: string,
  fail: Fail,
  totals: Totals,
) {
  if (status >= 500) {
    if (c.path.startsWith('/v1.0-alpha1/') && code !== undefined && DAPR_500.includes(code))
      totals.ok4xx += 1;
    else fail('fiveXX', c, `${status} ${text}`);
  } else if (status >= 400) {
    totals.ok4xx += 1;
  } else if (status >= 200 && status < 300) {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      // a watch stream or an empty body
    }
    if (harmless(c.method, c.path.split('?')[0]!, body)) totals.harmless2xx += 1;
    else fail('unexpected2xx', c, `${status} ${text}`);
  } else {
    fail('unexpected2xx', c, `${status} ${text}`);
  }
}

/** One WebSocket per worker and app; frames go one at a time on each, replies matched by id. */
function streamChannel(server: RunningServer, fail: Fail, totals: Totals) {
  const sockets = new Map<
    string,
    { ws: WebSocket; waiting: Map<string | null, (reply: Record<string, unknown>) => void> }
  >();
  const open = (key: string, app: 'orders' | 'billing') =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/stream`, {
        headers: { 'dapr-api-token': TOKENS[app] },
      });
      const waiting = new Map<string | null, (reply: Record<string, unknown>) => void>();
      ws.on('message', (data: Buffer) => {
        const parsed = JSON.parse(data.toString()) as Record<string, unknown> | Record<string, unknown>[];
        for (const reply of Array.isArray(parsed) ? parsed : [parsed]) {
          const id = reply.id as string | null;
          waiting.get(id)?.(reply);
          waiting.delete(id);
        }
      });
      ws.once('open', () => {
        sockets.set(key, { ws, waiting });
        resolve(ws);
      });
      ws.once('error', reject);
    });
  const socketFor = async (c: StreamCase, worker: number) => {
    const key = `${worker}:${c.sender}`;
    const existing = sockets.get(key);
    if (existing && existing.ws.readyState === WebSocket.OPEN) return existing;
    await open(key, c.sender);
    return sockets.get(key)!;
  };
  const ask = (
    socket: { ws: WebSocket; waiting: Map<string | null, (r: Record<string, unknown>) => void> },
    frame: string,
    id: string | null,
    op: string,
  ) =>
    new Promise<Record<string, unknown> | undefined>((resolve) => {
      const timer = setTimeout(
        () => {
          socket.waiting.delete(id);
          if (op === 'watch' && id !== null)
            socket.ws.send(JSON.stringify({ id: `${id}-u`, op: 'unwatch', target: id }));
          resolve(undefined);
        },
        op === 'watch' ? 500 : 10_000,
      );
      socket.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      socket.ws.send(frame);
    });
  return {
    async run(c: StreamCase, worker: number) {
      totals.stream += 1;
      const socket = await socketFor(c, worker);
      const reply = await ask(socket, c.frame, c.replyId, c.op);
      if (socket.ws.readyState !== WebSocket.OPEN) return fail('resets', c, 'the stream closed');
      if (!reply) {
        if (c.op === 'watch') totals.harmless2xx += 1;
        else fail('noAnswer', c, 'no reply in 10 s');
        return;
      }
      const error = reply.error as { errorCode?: ErrorCode } | undefined;
      if (c.foreign) {
        const twin = await ask(
          socket,
          c.frame.replaceAll(c.foreign.leaseId, 'f'.repeat(32)).replace(`"${c.replyId}"`, `"${c.replyId}-t"`),
          `${c.replyId}-t`,
          c.op,
        );
        const twinCode = (twin?.error as { errorCode?: string } | undefined)?.errorCode ?? 'ok';
        if ((error?.errorCode ?? 'ok') !== twinCode)
          fail('foreignMismatch', c, `${JSON.stringify(reply)} but a random lease id gets ${twinCode}`);
      }
      if (error?.errorCode) {
        const status = ERROR_TABLE[error.errorCode]?.httpStatus ?? 500;
        if (status >= 500) fail('fiveXX', c, JSON.stringify(reply));
        else totals.ok4xx += 1;
      } else if (harmlessResult(c.op, (reply.result ?? {}) as Record<string, unknown>)) {
        totals.harmless2xx += 1;
      } else {
        fail('unexpected2xx', c, JSON.stringify(reply));
      }
    },
    close() {
      for (const { ws } of sockets.values()) ws.close();
    },
  };
}

/** gRPC calls through grpc-js, by the proto's serializers or as raw bytes. */
async function grpcChannel(server: RunningServer, fail: Fail, totals: Totals) {
  const methods = (await loadDaprService()) as unknown as Record<string, MethodDefinition<object, object>>;
  const client = new Client(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure());
  const call = (c: GrpcCase) =>
    new Promise<{ error: ServiceError | null; response: Record<string, unknown> | undefined }>((resolve) => {
      const definition = methods[c.method]!;
      const metadata = new Metadata();
      metadata.set('dapr-api-token', TOKENS[c.sender]);
      const serialize = Buffer.isBuffer(c.request) ? (b: Buffer) => b : definition.requestSerialize;
      client.makeUnaryRequest(
        definition.path,
        serialize as (value: object) => Buffer,
        definition.responseDeserialize,
        c.request,
        metadata,
        (error, response) => resolve({ error, response: response as Record<string, unknown> | undefined }),
      );
    });
  return {
    async run(c: GrpcCase) {
      totals.grpc += 1;
      const { error, response } = await call(c);
      if (error) {
        const daprOwn = /failed to (try acquiring|release) lock|must not contain "\|\|"/.test(error.details);
        if (error.code === status.INTERNAL && !daprOwn) fail('fiveXX', c, `${error.code} ${error.details}`);
        else if (error.code === status.UNAVAILABLE || error.code === status.CANCELLED)
          fail('resets', c, `${error.code} ${error.details}`);
        else totals.ok4xx += 1;
        return;
      }
      const ok = c.method === 'TryLockAlpha1' ? response?.success === false : response?.status !== 0;
      if (ok) totals.harmless2xx += 1;
      else fail('unexpected2xx', c, JSON.stringify(response));
    },
    close: () => client.close(),
  };
}

/** An SDK client doing acquire, fenced put and release in a loop as app orders; it must see no error. */
function runNormalClient(url: string) {
  const client = new LeaseholdClient({ url, token: TOKENS.orders });
  const errors: unknown[] = [];
  let rounds = 0;
  let stopping = false;
  const loop = (async () => {
    try {
      const lease = await client.leases.grant({ ttlMs: 30_000, owner: NORMAL });
      while (!stopping) {
        const lock = await client.locks.tryAcquire(`${NORMAL}/lock`, { lease });
        if (!lock.acquired) throw new Error('the normal client lost its own lock');
        await client.kv.put(`${NORMAL}/key`, `round ${rounds}`, { fence: lock });
        await client.counters.add(`${NORMAL}/count`, 1);
        await lock.release();
        rounds += 1;
      }
      await lease.revoke();
    } catch (error) {
      errors.push(error);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await client.close();
      return { rounds, errors };
    },
  };
}
