import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { getJson, postJson } from './support/server-process.js';

let server: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leasehold-multi-http-'));
  server = await startServer(
    { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'none'), minTtlMs: 100 },
    pino({ level: 'silent' }),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const api = (path: string) => `${server.url}/v1/lockstore${path}`;
const lease = async () => (await postJson(api('/leases'), { ttlMs: 30_000 })).body.id as string;
const waiters = async (name: string) => (await getJson(api(`/locks?name=${name}`))).body.waiters as number;

describe('POST /v1/{store}/locks/acquire-all and release-all', () => {
  it('takes a set all at once, names the holders on a refusal, and releases with a status per name', async () => {
    const [a, b] = [await lease(), await lease()];
    const taken = await postJson(api('/locks/acquire-all'), { names: ['h/x', 'h/y'], leaseId: a });
    expect(taken).toEqual({
      status: 200,
      body: { acquired: true, fencingTokens: { 'h/x': expect.any(Number), 'h/y': expect.any(Number) } },
    });
    const refused = await postJson(api('/locks/acquire-all'), { names: ['h/z', 'h/y'], leaseId: b });
    expect(refused.body).toEqual({
      acquired: false,
      holders: {
        'h/y': { leaseId: a, app: expect.any(String), fencingToken: taken.body.fencingTokens['h/y'] },
      },
    });
    expect((await getJson(api('/locks?name=h/z'))).body.held).toBe(false);
    const released = await postJson(api('/locks/release-all'), { names: ['h/x', 'h/y', 'h/z'], leaseId: a });
    expect(released.body).toEqual({ statuses: { 'h/x': 'released', 'h/y': 'released', 'h/z': 'not_held' } });
  });

  it('a waiting acquire-all is granted when the last blocker goes, and a dropped one leaves every queue', async () => {
    const [holder, w, gone] = [await lease(), await lease(), await lease()];
    await postJson(api('/locks/acquire'), { name: 'w/b', leaseId: holder });
    const abort = new AbortController();
    const dropped = postJson(
      api('/locks/acquire-all'),
      { names: ['w/a', 'w/b'], leaseId: gone, waitMs: 30_000 },
      { signal: abort.signal },
    ).catch((error: unknown) => error);
    while ((await waiters('w/a')) === 0) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await dropped;
    while ((await waiters('w/a')) > 0) await new Promise((r) => setTimeout(r, 10));
    expect(await waiters('w/b')).toBe(0);
    const waiting = postJson(api('/locks/acquire-all'), {
      names: ['w/a', 'w/b'],
      leaseId: w,
      waitMs: 10_000,
    });
    while ((await waiters('w/b')) === 0) await new Promise((r) => setTimeout(r, 10));
    expect((await getJson(api('/locks?name=w/a'))).body.held).toBe(false);
    await postJson(api('/locks/release'), { name: 'w/b', leaseId: holder });
    expect((await waiting).body).toMatchObject({ acquired: true });
    expect((await getJson(api('/locks?name=w/a'))).body.leaseId).toBe(w);
  });

  it.each([
    ['names missing', { leaseId: 'x' }, /^names: must be an array/],
    ['no names', { names: [], leaseId: 'x' }, /^names: must name at least 1 lock/],
    ['65 names', { names: Array.from({ length: 65 }, (_, i) => `n${i}`), leaseId: 'x' }, /at most 64/],
    ['a bad name', { names: ['ok', 'a||b'], leaseId: 'x' }, /^names\[1\]: must not contain/],
    [
      'waitMs too long',
      { names: ['ok'], leaseId: 'x', waitMs: 600_001 },
      /^waitMs: must be between 0 and 600000/,
    ],
  ])('%s is a 400 naming the field and the limit', async (_label, body, message) => {
    const res = await postJson(api('/locks/acquire-all'), body);
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('INVALID_ARGUMENT');
    expect(res.body.message).toMatch(message);
  });

  it('an unknown lease is a 404 LEASE_NOT_FOUND, and takes nothing', async () => {
    const res = await postJson(api('/locks/acquire-all'), { names: ['u/a'], leaseId: 'no-such-lease' });
    expect(res).toMatchObject({ status: 404, body: { errorCode: 'LEASE_NOT_FOUND' } });
    expect((await getJson(api('/locks?name=u/a'))).body.held).toBe(false);
  });
});
