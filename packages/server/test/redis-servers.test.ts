import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
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

  const lease = async (server: ServerProcess) =>
    (await postJson(`${server.url}/v1/lockstore/leases`, { ttlMs: 30_000 })).body.id as string;

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
      leaseId: await lease(b),
    });
    expect(native.body.acquired).toBe(false);
  });

  it('a waiter on server A is granted a lock released through server B within 50 ms', async () => {
    const holder = await lease(b);
    expect(
      (await postJson(`${b.url}/v1/lockstore/locks/acquire`, { name: 'handoff', leaseId: holder })).body
        .acquired,
    ).toBe(true);
    const waiterLease = await lease(a);
    let grantedAt = 0;
    const waiting = postJson(`${a.url}/v1/lockstore/locks/acquire`, {
      name: 'handoff',
      leaseId: waiterLease,
      waitMs: 10_000,
    }).then((res) => {
      grantedAt = performance.now();
      return res;
    });
    for (
      let i = 0;
      i < 200 && (await getJson(`${b.url}/v1/lockstore/locks?name=handoff`)).body.waiters !== 1;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const releasedAt = performance.now();
    expect(
      (await postJson(`${b.url}/v1/lockstore/locks/release`, { name: 'handoff', leaseId: holder })).body
        .status,
    ).toBe('released');
    const granted = await waiting;
    const latencyMs = grantedAt - releasedAt;
    console.log(`cross-server hand-off: ${latencyMs.toFixed(1)} ms from release request to grant reply`);
    expect(granted.body.acquired).toBe(true);
    expect(latencyMs).toBeLessThan(50);
  });

  it('clients spread over both servers never overlap on hot locks (checked from tokens and history)', async () => {
    const perClient = 125;
    const clients = 16;
    const history: { lock: string; token: number; enter: number; exit: number }[] = [];
    const inside = new Map<string, number>();
    let overlaps = 0;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const server = c % 2 === 0 ? a : b;
        const leaseId = await lease(server);
        for (let i = 0; i < perClient; i++) {
          const name = `hot/${(c + i) % 4}`;
          const res = await postJson(`${server.url}/v1/lockstore/locks/acquire`, {
            name,
            leaseId,
            waitMs: 20_000,
          });
          expect(res.body.acquired).toBe(true);
          const enter = performance.now();
          inside.set(name, (inside.get(name) ?? 0) + 1);
          if (inside.get(name)! > 1) overlaps++;
          await new Promise((r) => setImmediate(r));
          inside.set(name, inside.get(name)! - 1);
          history.push({
            lock: name,
            token: res.body.fencingToken as number,
            enter,
            exit: performance.now(),
          });
          await postJson(`${server.url}/v1/lockstore/locks/release`, { name, leaseId });
        }
      }),
    );
    expect(history).toHaveLength(clients * perClient);
    expect(overlaps).toBe(0);
    for (const lock of ['hot/0', 'hot/1', 'hot/2', 'hot/3']) {
      const grants = history.filter((h) => h.lock === lock).sort((x, y) => x.token - y.token);
      for (let i = 1; i < grants.length; i++) {
        expect(grants[i]!.token).toBeGreaterThan(grants[i - 1]!.token);
        expect(grants[i]!.enter).toBeGreaterThanOrEqual(grants[i - 1]!.exit);
      }
    }
  }, 120_000);

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
