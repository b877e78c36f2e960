import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { dataDirWithComponent } from './support/components.js';
import { rawRequest } from './support/raw-http.js';
import type { RawOutcome } from './support/raw-http.js';

const TWO_MB = Buffer.alloc(2 * 1024 * 1024, 'x');
const resets = (outcomes: readonly RawOutcome[]) => outcomes.filter((o) => 'error' in o);
const statuses = (outcomes: readonly RawOutcome[]) =>
  outcomes.map((o) => ('status' in o ? o.status : o.error)).filter((s) => s !== 400 && s !== 413);

describe('an oversized body gets its 4xx, never a connection reset (DESIGN §8)', () => {
  let server: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = dataDirWithComponent('lock.memory', {});
    server = await startServer(
      { port: 0, grpcPort: 0, dataDir, componentsPath: join(dataDir, 'components') },
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['with a content-length', false],
    ['chunked', true],
  ])(
    '50 sequential 2 MB Dapr lock requests %s, each on a new connection, all get 400',
    async (_name, chunked) => {
      const outcomes: RawOutcome[] = [];
      for (let i = 0; i < 50; i += 1) {
        outcomes.push(
          await rawRequest(`${server.url}/v1.0-alpha1/lock/lockstore`, { body: TWO_MB, chunked }),
        );
      }
      expect(resets(outcomes)).toEqual([]);
      expect(statuses(outcomes)).toEqual([]);
      const first = outcomes[0] as { body: string };
      expect(JSON.parse(first.body)).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
    },
  );

  it('50 sequential 2 MB native requests on one keep-alive connection all get 413, and it stays usable', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const outcomes: RawOutcome[] = [];
      for (let i = 0; i < 50; i += 1) {
        const chunked = i % 2 === 0;
        outcomes.push(
          await rawRequest(`${server.url}/v1/lockstore/leases`, { body: TWO_MB, agent, chunked }),
        );
      }
      expect(resets(outcomes)).toEqual([]);
      expect(statuses(outcomes)).toEqual([]);
      const after = await rawRequest(`${server.url}/v1/lockstore/leases`, {
        body: Buffer.from('{"ttlMs":5000}'),
        agent,
      });
      expect(after).toMatchObject({ status: 200 });
    } finally {
      agent.destroy();
    }
  });

  it('50 requests with bad framing (Content-Length and chunked both) get 400, never a reset', async () => {
    const outcomes: RawOutcome[] = [];
    for (let i = 0; i < 50; i += 1) {
      outcomes.push(
        await rawRequest(`${server.url}/v1.0-alpha1/lock/lockstore`, {
          body: TWO_MB,
          headers: { 'transfer-encoding': 'chunked' },
        }),
      );
    }
    expect(resets(outcomes)).toEqual([]);
    expect(statuses(outcomes)).toEqual([]);
    expect(JSON.parse((outcomes[0] as { body: string }).body)).toMatchObject({
      errorCode: 'INVALID_ARGUMENT',
    });
  });

  it('a mixed run of 600 (oversized chunked and sized bodies, small requests) has no reset', async () => {
    const url = (i: number) =>
      i % 3 === 0 ? `${server.url}/v1.0-alpha1/lock/lockstore` : `${server.url}/v1/lockstore/kv`;
    const one = (i: number): Promise<RawOutcome> => {
      if (i % 5 === 4) return rawRequest(`${server.url}/v1/lockstore/counters?name=c${i}`, { method: 'GET' });
      return rawRequest(url(i), { method: i % 3 === 0 ? 'POST' : 'PUT', body: TWO_MB, chunked: i % 2 === 0 });
    };
    const outcomes: RawOutcome[] = [];
    for (let batch = 0; batch < 600; batch += 20) {
      outcomes.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => one(batch + k)))));
    }
    expect(resets(outcomes)).toEqual([]);
    expect(statuses(outcomes).filter((s) => s !== 200)).toEqual([]);
  });
});
