import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { dataDirWithComponent } from './support/components.js';
import { RedisServer } from './support/redis-harness.js';
import { spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';
import { openSse, until } from './support/sse-reader.js';

/** Puts `count` keys through `server`, `width` at a time; returns their revisions. */
async function storm(server: ServerProcess, prefix: string, count: number, width = 16): Promise<number[]> {
  const revisions: number[] = [];
  for (let i = 0; i < count; i += width) {
    const batch = Array.from({ length: Math.min(width, count - i) }, async (_, j) => {
      const res = await fetch(`${server.url}/v1/lockstore/kv`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: `${prefix}${i + j}`, value: 'x' }),
      });
      revisions.push(((await res.json()) as { revision: number }).revision);
    });
    await Promise.all(batch);
  }
  return revisions.sort((x, y) => x - y);
}

describeWithBackend('redis-server', 'watch on lock.redis, resumed on another server', (binary) => {
  let redis: RedisServer;
  let a: ServerProcess;
  let b: ServerProcess | undefined;
  const dirs: string[] = [];
  const start = () => {
    const dir = dataDirWithComponent('lock.redis', { redisHost: redis.address });
    dirs.push(dir);
    return spawnServer({ dataDir: dir });
  };

  beforeAll(async () => {
    redis = await RedisServer.start(binary);
    a = await start();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a resume on a server that started watching mid-storm gets every event, once, in order', async () => {
    const early = await storm(a, 'r/', 150);
    // Server B starts (and so first subscribes) while A's puts go on, as in issue 13.
    const during = storm(a, 'r/', 600, 4);
    b = await start();
    const late = await openSse(`${b.url}/v1/lockstore/watch?prefix=r/`);
    await late.live;
    const revisions = [...early, ...(await during)].sort((x, y) => x - y);
    late.close();
    const resumed = await openSse(`${b.url}/v1/lockstore/watch?prefix=r/`, {
      'last-event-id': String(revisions[0]! - 1),
    });
    await until(() => resumed.events.length >= revisions.length).catch(() => undefined);
    await resumed.live;
    resumed.close();
    expect(resumed.events.map((e) => e.id)).toEqual(revisions);
  });

  it('a resume from before the capped history ends with WATCH_COMPACTED, naming the oldest revision kept', async () => {
    const resumed = await openSse(`${a.url}/v1/lockstore/watch?prefix=r/`, { 'last-event-id': '0' });
    // A fresh Redis keeps every event so far: nothing to refuse yet.
    await resumed.live;
    resumed.close();
    await storm(a, 'cap/', 10_400, 64);
    const refused = await openSse(`${a.url}/v1/lockstore/watch?prefix=r/`, { 'last-event-id': '1' });
    const ended = await refused.ended;
    expect(refused.events).toEqual([]);
    expect(ended?.data).toMatchObject({ errorCode: 'WATCH_COMPACTED' });
    const oldest = ended!.data.oldestRevision as number;
    expect(oldest).toBeGreaterThan(1);
    const served = await openSse(`${a.url}/v1/lockstore/watch?prefix=cap/`, {
      'last-event-id': String(oldest - 1),
    });
    await served.live;
    served.close();
    expect(served.events[0]?.id).toBe(oldest);
  }, 120_000);
});
