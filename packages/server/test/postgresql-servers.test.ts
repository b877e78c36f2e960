import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { dataDirWithComponent } from './support/components.js';
import { checkHistory, contend } from './support/contention.js';
import { crossServerHandoff } from './support/handoff.js';
import { PostgresServer } from './support/postgres-harness.js';
import { postJson, spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';

describeWithBackend('postgres', 'two Leasehold servers on one Postgres (lock.postgresql)', (bindir) => {
  let postgres: PostgresServer;
  let a: ServerProcess;
  let b: ServerProcess;
  const dirs: string[] = [];

  beforeAll(async () => {
    postgres = await PostgresServer.start(bindir);
    const metadata = { connectionString: postgres.url, schema: postgres.uniqueSchema('servers') };
    const start = () => {
      const dir = dataDirWithComponent('lock.postgresql', metadata);
      dirs.push(dir);
      return spawnServer({ dataDir: dir, args: ['--app-id', 'billing'] });
    };
    [a, b] = await Promise.all([start(), start()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await postgres?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a waiter on server A is granted a lock released through server B within 50 ms', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { acquired, latencyMs } = await crossServerHandoff(b, a, `handoff/${i}`);
      expect(acquired).toBe(true);
      samples.push(latencyMs);
    }
    const best = Math.min(...samples);
    console.log(
      `postgresql cross-server hand-off over HTTP, ms: ${samples.map((s) => s.toFixed(1)).join(' ')}`,
    );
    expect(best).toBeLessThan(50);
  });

  it('1,024 acquisitions by clients spread over both servers never overlap (tokens and history)', async () => {
    const started = performance.now();
    const { history, overlaps, failures } = await contend([a, b], { clients: 16, perClient: 64, locks: 4 });
    const seconds = (performance.now() - started) / 1000;
    console.log(`postgresql, two servers: ${history.length} acquisitions in ${seconds.toFixed(1)} s`);
    expect(failures).toEqual([]);
    expect(history).toHaveLength(1_024);
    expect(overlaps).toBe(0);
    expect(checkHistory(history)).toEqual([]);
  }, 120_000);

  it('Dapr TryLock and Unlock over HTTP on lock.postgresql', async () => {
    const url = (server: ServerProcess, verb: string) => `${server.url}/v1.0-alpha1/${verb}/lockstore`;
    const lock = { resourceId: 'dapr-order', lockOwner: 'worker-1', expiryInSeconds: 30 };
    expect((await postJson(url(a, 'lock'), lock)).body).toMatchObject({ success: true });
    expect((await postJson(url(b, 'lock'), { ...lock, lockOwner: 'worker-2' })).body).toEqual({
      success: false,
    });
    const unlock = { resourceId: 'dapr-order', lockOwner: 'worker-1' };
    expect((await postJson(url(b, 'unlock'), unlock)).body).toEqual({ status: 0 });
  });
});
