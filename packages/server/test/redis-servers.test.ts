import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { checkHistory, contend } from './support/contention.js';
import { crossServerHandoff, grantLease } from './support/handoff.js';
import { dataDirWithComponent } from './support/components.js';
import { RedisServer } from './support/redis-harness.js';
import { getJson, postJson, spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';

describeWithBackend('redis-server', 'two Leasehold servers on one Redis', (binary) => {
  let redis: RedisServer;
  let client: Redis;
  let a: ServerProcess;
  let b: ServerProcess;
  const dirs: string[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start(binary);
    client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const start = () => {
      const dir = dataDirWithComponent('lock.redis', { redisHost: redis.address, readTimeout: '1000ms' });
      dirs.push(dir);
      return spawnServer({ dataDir: dir, args: ['--app-id', 'orders'] });
    };
    [a, b] = await Promise.all([start(), start()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    client?.disconnect();
    await redis?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps Dapr's key and value: the owner string under lock||<appId>||<resourceId>", async () => {
    const res = await postJson(`${a.url}/v1.0-alpha1/lock/lockstore`, {
      resourceId: 'inv-1',
      lockOwner: 'owner-1',
      expiryInSeconds: 60,
    });
    expect(res.body.success).toBe(true);
    expect(await client.get('lock||orders||inv-1')).toBe('owner-1');
    const ttl = await client.pttl('lock||orders||inv-1');
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await client.set('lock||orders||by-hand', 'a-dapr-sidecar', 'PX', 60_000);
    const taken = await postJson(`${b.url}/v1.0-alpha1/lock/lockstore`, {
      resourceId: 'by-hand',
      lockOwner: 'me',
      expiryInSeconds: 60,
    });
    expect(taken.body).toEqual({ success: false });
    const native = await postJson(`${b.url}/v1/lockstore/locks/acquire`, {
      name: 'by-hand',
      leaseId: await grantLease(b),
    });
    expect(native.body.acquired).toBe(false);
  });

  it('a waiter on server A is granted a lock released through server B within 50 ms', async () => {
    const { acquired, latencyMs } = await crossServerHandoff(b, a, 'handoff');
    console.log(`cross-server hand-off: ${latencyMs.toFixed(1)} ms from release request to grant reply`);
    expect(acquired).toBe(true);
    expect(latencyMs).toBeLessThan(50);
  });

  it('10,000 acquisitions by clients spread over both servers never overlap (tokens and history)', async () => {
    const started = performance.now();
    const { history, overlaps, failures } = await contend([a, b], { clients: 16, perClient: 625, locks: 4 });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `redis, two servers: ${history.length} acquisitions in ${seconds.toFixed(1)} s, ${overlaps} overlaps`,
    );
    expect(failures).toEqual([]);
    expect(history).toHaveLength(10_000);
    expect(overlaps).toBe(0);
    expect(checkHistory(history)).toEqual([]);
  }, 240_000);

  it('answers 500 ERR_TRY_LOCK while Redis is down, and recovers by itself when it returns', async () => {
    await redis.stop('SIGKILL');
    const down = await postJson(`${a.url}/v1.0-alpha1/lock/lockstore`, {
      resourceId: 'outage',
      lockOwner: 'o',
      expiryInSeconds: 10,
    });
    expect(down).toMatchObject({ status: 500, body: { errorCode: 'ERR_TRY_LOCK' } });
    expect(down.body.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect((await getJson(`${a.url}/readyz`)).status).toBe(503);
    await redis.restart();
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      const res = await postJson(`${a.url}/v1.0-alpha1/lock/lockstore`, {
        resourceId: 'outage',
        lockOwner: 'o',
        expiryInSeconds: 10,
      });
      recovered = res.status === 200 && res.body.success === true;
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    expect((await getJson(`${a.url}/readyz`)).status).toBe(200);
  }, 60_000);
});
