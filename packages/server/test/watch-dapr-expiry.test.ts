import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { dataDirWithComponent } from './support/components.js';
import { useEtcdServer } from './support/etcd-server.js';
import { RedisServer } from './support/redis-harness.js';
import { spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';
import { openSse, until } from './support/sse-reader.js';

/**
 * A Dapr lock left to expire is announced on the watch, as its explicit unlock would be: the
 * `lock.released` of its token (and the end of its implicit lease) once its TTL has passed.
 */
async function expiryIsAnnounced(server: ServerProcess, resourceId: string): Promise<void> {
  const watch = await openSse(`${server.url}/v1/lockstore/watch?prefix=`);
  try {
    await watch.live;
    const res = await fetch(`${server.url}/v1.0-alpha1/lock/lockstore`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceId, lockOwner: 'o', expiryInSeconds: 1 }),
    });
    expect(await res.json()).toMatchObject({ success: true });
    await until(() => watch.events.some((e) => e.type === 'lock.acquired'));
    const acquired = watch.events.find((e) => e.type === 'lock.acquired')!;
    // Generous: the TTL (1 s) plus etcd's own lease granularity; the figures are in the report, not here.
    await until(() => watch.events.some((e) => e.type === 'lock.released'), 6_000);
    const released = watch.events.find((e) => e.type === 'lock.released')!;
    expect(released.data).toMatchObject({ key: acquired.data.key, fencingToken: acquired.data.fencingToken });
    expect(released.data.revision).toBeGreaterThan(acquired.data.revision);
  } finally {
    watch.close();
  }
}

describeWithBackend('redis-server', 'lock.redis: a Dapr lock that expires is announced', (binary) => {
  let redis: RedisServer;
  let server: ServerProcess;
  let dir: string;

  beforeAll(async () => {
    redis = await RedisServer.start(binary);
    dir = dataDirWithComponent('lock.redis', { redisHost: redis.address });
    server = await spawnServer({ dataDir: dir });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('emits lock.released with the lock token after its TTL', () => expiryIsAnnounced(server, 'r1'));
});

describeWithBackend('etcd', 'lock.etcd: a Dapr lock that expires is announced', (binary) => {
  const backend = useEtcdServer(binary);

  it('emits lock.released with the lock token after its TTL', () => expiryIsAnnounced(backend.server, 'e1'));
});
