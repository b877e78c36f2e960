import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdClient, WatchCompactedError } from '@leasehold/client';
import type { KvEntry, WatchEvent } from '@leasehold/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { openSse, until } from './support/sse-reader.js';

// A restarted embedded store keeps its values and revisions but not the events before the
// restart: a resume from before it is the simplest history a server truly no longer has.
let server: RunningServer;
let dir: string;
let before: number;
let restartedAt: number;
const settings = () => ({ port: 0, grpcPort: 0, componentsPath: join(dir, 'none'), minTtlMs: 100 });
const api = (path: string) => `${server.url}/v1/lockstore${path}`;
const put = async (key: string, value: string) => {
  const res = await fetch(api('/kv'), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, value }),
  });
  return ((await res.json()) as { revision: number }).revision;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leasehold-compacted-'));
  server = await startServer({ ...settings(), dataDir: dir }, pino({ level: 'silent' }));
  before = await put('c/a', '1');
  await put('c/b', '2');
  restartedAt = await put('c/c', '3');
  await server.close();
  server = await startServer({ ...settings(), dataDir: dir }, pino({ level: 'silent' }));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a resume the server cannot serve whole', () => {
  it('ends the SSE stream with event: error, WATCH_COMPACTED and the oldest revision it has', async () => {
    const watch = await openSse(api('/watch?prefix=c/'), { 'last-event-id': String(before) });
    const ended = await watch.ended;
    expect(watch.events).toEqual([]);
    expect(ended?.data).toMatchObject({ errorCode: 'WATCH_COMPACTED', oldestRevision: restartedAt + 1 });
    expect(typeof ended?.data.message).toBe('string');
  });

  it('still resumes from the revision the restart left off at', async () => {
    const watch = await openSse(api('/watch?prefix=c/'), { 'last-event-id': String(restartedAt) });
    await watch.live;
    const revision = await put('c/d', '4');
    await until(() => watch.events.length === 1);
    watch.close();
    expect(watch.events.map((e) => e.id)).toEqual([revision]);
  });

  for (const transport of ['http', 'stream'] as const) {
    it(`raises WatchCompactedError in the SDK over ${transport}, and resyncs from a listing`, async () => {
      const client = new LeaseholdClient({ url: server.url, transport });
      try {
        const errors: Error[] = [];
        const events: WatchEvent[] = [];
        let listed: KvEntry[] | undefined;
        const stop = client.watch('c/', (event) => events.push(event), {
          afterRevision: before,
          onError: (error) => errors.push(error),
          resync: (entries) => (listed = entries),
        });
        await until(() => listed !== undefined);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await put('c/e', '5');
        await until(() => events.length === 1);
        stop();
        expect(errors[0]).toBeInstanceOf(WatchCompactedError);
        expect((errors[0] as WatchCompactedError).oldestRevision).toBe(restartedAt + 1);
        expect(listed!.map((e) => e.key)).toEqual(expect.arrayContaining(['c/a', 'c/b', 'c/c']));
        expect(events.map((e) => e.key)).toEqual(['c/e']);
      } finally {
        await client.close();
      }
    });
  }
});
