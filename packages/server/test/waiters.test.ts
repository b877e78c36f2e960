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
  dir = mkdtempSync(join(tmpdir(), 'leasehold-waiters-'));
  server = await startServer(
    { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'none') },
    pino({ level: 'silent' }),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const lease = async (owner: string): Promise<string> =>
  (await postJson(`${server.url}/v1/lockstore/leases`, { ttlMs: 60_000, owner })).body.id as string;
const waiters = async (name: string): Promise<number> =>
  (await getJson(`${server.url}/v1/lockstore/locks?name=${name}`)).body.waiters as number;

async function untilWaiters(name: string, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await waiters(name)) !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} waiters on ${name}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('blocking acquires over HTTP', () => {
  it('grants 50 waiters in arrival order, each exactly once, with rising tokens', async () => {
    const holder = await lease('holder');
    const first = await postJson(`${server.url}/v1/lockstore/locks/acquire`, {
      name: 'fifo',
      leaseId: holder,
    });
    expect(first.body.acquired).toBe(true);
    const granted: { index: number; token: number }[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      const leaseId = await lease(`waiter-${i}`);
      pending.push(
        postJson(`${server.url}/v1/lockstore/locks/acquire`, { name: 'fifo', leaseId, waitMs: 30_000 }).then(
          async (res) => {
            expect(res.body.acquired).toBe(true);
            granted.push({ index: i, token: res.body.fencingToken as number });
            await postJson(`${server.url}/v1/lockstore/locks/release`, { name: 'fifo', leaseId });
          },
        ),
      );
      await untilWaiters('fifo', i + 1);
    }
    await postJson(`${server.url}/v1/lockstore/locks/release`, { name: 'fifo', leaseId: holder });
    await Promise.all(pending);
    expect(granted.map((g) => g.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    let last = first.body.fencingToken as number;
    for (const g of granted) {
      expect(g.token).toBeGreaterThan(last);
      last = g.token;
    }
  });

  it('a waiter whose client disconnects leaves the queue and is never granted', async () => {
    const holder = await lease('holder');
    await postJson(`${server.url}/v1/lockstore/locks/acquire`, { name: 'gone', leaseId: holder });
    const quitterLease = await lease('quitter');
    const controller = new AbortController();
    const quitter = postJson(
      `${server.url}/v1/lockstore/locks/acquire`,
      { name: 'gone', leaseId: quitterLease, waitMs: 30_000 },
      { signal: controller.signal },
    ).catch((error: unknown) => error);
    await untilWaiters('gone', 1);
    const patientLease = await lease('patient');
    const patient = postJson(`${server.url}/v1/lockstore/locks/acquire`, {
      name: 'gone',
      leaseId: patientLease,
      waitMs: 30_000,
    });
    await untilWaiters('gone', 2);
    controller.abort();
    await quitter;
    await untilWaiters('gone', 1);
    await postJson(`${server.url}/v1/lockstore/locks/release`, { name: 'gone', leaseId: holder });
    expect((await patient).body.acquired).toBe(true);
    const info = await getJson(`${server.url}/v1/lockstore/locks?name=gone`);
    expect(info.body.leaseId).toBe(patientLease);
    const quitterView = await getJson(`${server.url}/v1/lockstore/leases/${quitterLease}`);
    expect(quitterView.body.locks).toEqual([]);
  });

  it('a wait ends unacquired after waitMs, naming the holder', async () => {
    const holder = await lease('holder');
    await postJson(`${server.url}/v1/lockstore/locks/acquire`, { name: 'slow', leaseId: holder });
    const res = await postJson(`${server.url}/v1/lockstore/locks/acquire`, {
      name: 'slow',
      leaseId: await lease('impatient'),
      waitMs: 100,
    });
    expect(res.body).toMatchObject({ acquired: false, holder: { leaseId: holder, owner: 'holder' } });
  });
});
