import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { dataDirWithComponent } from './support/components.js';
import { useEtcdServer } from './support/etcd-server.js';
import { grantLease } from './support/handoff.js';
import { RedisServer } from './support/redis-harness.js';
import { getJson, postJson, spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';

/** The largest expiryInSeconds daprd takes (any positive int32): about 68 years. */
const INT32_MAX = 2_147_483_647;
const WAIT_MS = 1_000;

/**
 * A Dapr lock of 2^31-1 seconds, far past setTimeout's 2^31-1 ms, on a real server: granted, held
 * against everyone (a waiter is not handed it early), releasable, and no timer overflows on the way.
 */
function specifyMaxExpiry(server: () => ServerProcess, onWait?: () => Promise<() => Promise<void>>) {
  const lock = (body: object) => postJson(`${server().url}/v1.0-alpha1/lock/lockstore`, body);
  const unlock = (body: object) => postJson(`${server().url}/v1.0-alpha1/unlock/lockstore`, body);

  it('grants expiryInSeconds 2147483647 and holds it against everyone until unlocked', async () => {
    const granted = await lock({ resourceId: 'forever', lockOwner: 'alice', expiryInSeconds: INT32_MAX });
    expect(granted).toMatchObject({ status: 200, body: { success: true } });
    expect((await lock({ resourceId: 'forever', lockOwner: 'bob', expiryInSeconds: 5 })).body).toEqual({
      success: false,
    });
    const seen = await getJson(`${server().url}/v1/lockstore/locks?name=forever`);
    expect(seen.body).toMatchObject({ held: true, owner: 'alice' });
    expect(seen.body.expiresInMs).toBeGreaterThan((INT32_MAX - 60) * 1000);

    const checkQuiet = onWait ? await onWait() : undefined;
    const waited = await postJson(`${server().url}/v1/lockstore/locks/acquire`, {
      name: 'forever',
      leaseId: await grantLease(server()),
      waitMs: WAIT_MS,
    });
    expect(waited.body).toMatchObject({ acquired: false });
    await checkQuiet?.();

    expect((await unlock({ resourceId: 'forever', lockOwner: 'alice' })).body).toEqual({ status: 0 });
    expect((await lock({ resourceId: 'forever', lockOwner: 'bob', expiryInSeconds: 5 })).body).toMatchObject({
      success: true,
    });
    expect(server().output()).not.toMatch(/TimeoutOverflowWarning/);
  });
}

for (const type of ['lock.sqlite', 'lock.memory']) {
  describe(`Dapr expiryInSeconds 2^31-1 on ${type}`, () => {
    let server: ServerProcess;
    let dir: string;
    beforeAll(async () => {
      dir =
        type === 'lock.memory'
          ? dataDirWithComponent('lock.memory', {})
          : mkdtempSync(join(tmpdir(), 'leasehold-max-expiry-'));
      server = await spawnServer({ dataDir: dir });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    specifyMaxExpiry(() => server);
  });
}

describeWithBackend('redis-server', 'Dapr expiryInSeconds 2^31-1 on lock.redis', (binary) => {
  let redis: RedisServer;
  let client: Redis;
  let server: ServerProcess;
  let dir: string;
  beforeAll(async () => {
    redis = await RedisServer.start(binary);
    client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    dir = dataDirWithComponent('lock.redis', { redisHost: redis.address });
    server = await spawnServer({ dataDir: dir, args: ['--app-id', 'orders'] });
  });
  afterAll(async () => {
    await server?.stop();
    client?.disconnect();
    await redis?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))![1]);

  // A waiter's timer at the holder's PTTL, were it not clamped, would fire at once and poll Redis.
  specifyMaxExpiry(
    () => server,
    async () => {
      expect(await client.pttl('lock||orders||forever')).toBeGreaterThan((INT32_MAX - 60) * 1000);
      const before = await commands();
      return async () => expect((await commands()) - before).toBeLessThan(100);
    },
  );
});

describeWithBackend('etcd', 'Dapr expiryInSeconds 2^31-1 on lock.etcd', (binary) => {
  const etcd = useEtcdServer(binary);
  specifyMaxExpiry(() => etcd.server);

  it('keeps a native lock whose maxHoldMs is past setTimeout range (its hold timer fires early)', async () => {
    const leaseId = await grantLease(etcd.server);
    const acquired = await postJson(`${etcd.server.url}/v1/lockstore/locks/acquire`, {
      name: 'long-hold',
      leaseId,
      maxHoldMs: 30 * 86_400_000,
    });
    expect(acquired.body).toMatchObject({ acquired: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await getJson(`${etcd.server.url}/v1/lockstore/locks?name=long-hold`)).body).toMatchObject({
      held: true,
    });
    expect(etcd.server.output()).not.toMatch(/TimeoutOverflowWarning/);
  });
});
