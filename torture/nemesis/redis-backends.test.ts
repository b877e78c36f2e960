import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../packages/server/test/support/backends.js';
import { startBackend } from './backends.js';
import { injectAndHeal, sleep, tempDir } from './nemesis-test-kit.js';
import type { RedisBackend } from './redis-backends.js';

/** A client through a proxy that keeps reconnecting, as the store's own clients do. */
function patientClient(address: string): Redis {
  const client = new Redis(`redis://${address}`, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  client.on('error', () => undefined); // each cut and kill is expected to break its connection
  return client;
}

/** True when a fresh connection through `address` gets no answer within 400 ms. */
async function unreachable(address: string): Promise<boolean> {
  const probe = new Redis(`redis://${address}`, {
    lazyConnect: true,
    connectTimeout: 400,
    commandTimeout: 400,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return false;
  } catch {
    return true;
  } finally {
    probe.disconnect();
  }
}

describeWithBackend('redis-server', 'nemesis: redis and redlock backends', () => {
  const dir = tempDir();
  const backends: RedisBackend[] = [];
  beforeAll(async () => {
    backends.push((await startBackend('redis', { dir: dir.path, cluster: false, seed: 1 })) as RedisBackend);
    backends.push(
      (await startBackend('redlock', { dir: dir.path, cluster: false, seed: 3 })) as RedisBackend,
    );
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.stop()));
    dir.remove();
  });

  it('offers the component and faults the brief names', () => {
    const [redis, redlock] = backends as [RedisBackend, RedisBackend];
    expect(redis.component()).toEqual({
      type: 'lock.redis',
      metadata: { redisHost: redis.members[0]!.proxy.address },
    });
    expect(redlock.component().metadata.redisHosts?.split(',')).toHaveLength(3);
    expect(redis.faults().map((f) => f.kind.split(' ')[0])).toEqual([
      'kill',
      'sigstop',
      'reset',
      'blackhole',
    ]);
    expect(redlock.faults().map((f) => f.kind)).toEqual([
      'kill one redlock master (majority stays up; restarts on its AOF, appendfsync always)',
      'sigstop one redlock master',
      'reset one redlock master proxy',
    ]);
  });

  for (const [index, store] of ['redis', 'redlock'].entries()) {
    it(`${store}: every acknowledged key survives every fault, and the clients reconnect`, async () => {
      const backend = backends[index]!;
      const clients = backend.members.map((m) => patientClient(m.proxy.address));
      const written: string[] = [];
      const writeOne = async () => {
        const key = `k${written.length}`;
        await Promise.all(clients.map((c) => c.set(key, key)));
        written.push(key);
      };
      try {
        expect(await clients[0]!.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
        await writeOne();
        for (const fault of backend.faults()) {
          const { injected, healed } = await injectAndHeal(fault, async (description) => {
            const hit = backend.members.find((m) => description.includes(m.label))!;
            expect(await unreachable(hit.proxy.address)).toBe(true);
            await sleep(200);
          });
          expect([injected, healed].join(' / ')).toMatch(/^(kill -9|SIGSTOP|reset|blackhole) .+ \/ .+$/);
          for (const client of clients) expect(await client.mget(...written)).toEqual(written);
          await writeOne();
        }
      } finally {
        clients.forEach((c) => c.disconnect());
      }
    });
  }

  it('redis: a kill -9 really restarts the process on its port', async () => {
    const redis = backends[0]!;
    const member = redis.members[0]!;
    const before = member.pid();
    const kill = redis.faults()[0]!;
    await kill.inject();
    expect(member.pid()).toBeUndefined();
    await kill.heal();
    expect(member.pid()).not.toBe(before);
    expect(await unreachable(member.proxy.address)).toBe(false);
  });
});
