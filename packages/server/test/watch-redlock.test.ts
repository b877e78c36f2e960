import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { dataDirWithComponent } from './support/components.js';
import { RedisServer } from './support/redis-harness.js';
import { spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';
import { openSse, until } from './support/sse-reader.js';

async function put(server: ServerProcess, key: string): Promise<void> {
  const res = await fetch(`${server.url}/v1/lockstore/kv`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, value: 'x' }),
  });
  expect(res.status).toBe(200);
}

describeWithBackend('redis-server', 'watch on Redlock: a per-server feed, and it says so', (binary) => {
  const masters: RedisServer[] = [];
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) masters.push(await RedisServer.start(binary));
    const redisHosts = masters.map((m) => m.address).join(',');
    for (let i = 0; i < 2; i++) {
      const dir = dataDirWithComponent('lock.redis', { redisHosts });
      dirs.push(dir);
      servers.push(await spawnServer({ dataDir: dir }));
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(masters.map((m) => m.destroy()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('reports watchPerServer among the store capabilities', async () => {
    const body = (await (await fetch(`${servers[0]!.url}/v1/stores`)).json()) as {
      stores: { name: string; capabilities: string[] }[];
    };
    expect(body.stores[0]?.capabilities).toEqual(expect.arrayContaining(['watch', 'watchPerServer']));
  });

  it('opens an SSE watch with a per-server notice; changes through another server are not in it', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const watch = await openSse(`${a.url}/v1/lockstore/watch?prefix=p/`);
    try {
      await watch.live;
      expect(watch.comments[0]).toMatch(/^feed per-server/);
      await put(b, 'p/through-b');
      await put(a, 'p/through-a');
      await until(() => watch.events.some((e) => e.data.key === 'p/through-a'));
      expect(watch.events.map((e) => e.data.key)).toEqual(['p/through-a']);
    } finally {
      watch.close();
    }
  });
});
