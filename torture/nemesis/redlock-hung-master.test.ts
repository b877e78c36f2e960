import { rmSync } from 'node:fs';
import { LeaseholdClient } from '@leasehold/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../packages/server/test/support/backends.js';
import { dataDirWithComponent } from '../../packages/server/test/support/components.js';
import { spawnServer } from '../../packages/server/test/support/server-process.js';
import type { ServerProcess } from '../../packages/server/test/support/server-process.js';
import { startBackend } from './backends.js';
import { sleep, tempDir } from './nemesis-test-kit.js';
import type { RedisBackend } from './redis-backends.js';

/**
 * Well under the masters' 3 s command timeout: an op that waited for the hung master would take
 * at least that. A correctness bound (a majority answers in milliseconds), not a benchmark.
 */
const BOUND_MS = 1_500;

/** Runs `call` and returns its result with how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}

describeWithBackend('redis-server', 'nemesis: a Leasehold server on Redlock with one master hung', () => {
  const dir = tempDir();
  let backend: RedisBackend;
  let server: ServerProcess;
  let dataDir = '';
  beforeAll(async () => {
    backend = (await startBackend('redlock', { dir: dir.path, cluster: false, seed: 5 })) as RedisBackend;
    const { type, metadata } = backend.component();
    dataDir = dataDirWithComponent(type, metadata);
    server = await spawnServer({ dataDir });
  });
  afterAll(async () => {
    backend?.members[0]?.signal('SIGCONT');
    await server?.stop('SIGKILL');
    await backend?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    dir.remove();
  });

  /** Runs `body` with one master stopped, each op having run on every master first. */
  async function whileHung(client: LeaseholdClient, body: () => Promise<void>): Promise<void> {
    const warm = await client.leases.grant({ ttlMs: 20_000 });
    expect((await client.locks.tryAcquire('warm', { lease: warm })).acquired).toBe(true);
    // Until a script has answered on every master, its ops wait for all (see Masters.race).
    await warm.keepAlive();
    await client.locks.describe('warm');
    const hung = backend.members[0]!;
    hung.signal('SIGSTOP');
    try {
      await body();
    } finally {
      hung.signal('SIGCONT');
      await hung.settle();
      await warm.revoke();
    }
  }

  it('answers grant, acquire, keep-alive and describe well within the command timeout', async () => {
    const client = new LeaseholdClient({ url: server.url, transport: 'http' });
    await whileHung(client, async () => {
      const lease = await timed(() => client.leases.grant({ ttlMs: 20_000 }));
      const lock = await timed(() => client.locks.tryAcquire('hung-master', { lease: lease.value }));
      const renewed = await timed(() => lease.value.keepAlive());
      const described = await timed(() => client.locks.describe('hung-master'));
      expect(lock.value.acquired).toBe(true);
      expect(described.value).toMatchObject({ held: true, leaseId: lease.value.id });
      const times = [lease, lock, renewed, described].map((t) => Math.round(t.ms));
      expect(
        times.every((ms) => ms < BOUND_MS),
        `grant, acquire, keep-alive, describe: ${times.join(', ')} ms`,
      ).toBe(true);
      await lease.value.revoke();
    });
  }, 30_000);

  it('keeps a 5 s lease alive through the SDK, with keep-alives from other leases in flight', async () => {
    const client = new LeaseholdClient({ url: server.url, transport: 'http' });
    await whileHung(client, async () => {
      const busy = await Promise.all([1, 2, 3].map(() => client.leases.grant({ ttlMs: 3_000 })));
      const short = await client.leases.grant({ ttlMs: 5_000 });
      expect((await client.locks.tryAcquire('short', { lease: short })).acquired).toBe(true);
      await sleep(8_000); // past the TTL: only the SDK's keep-alives hold it
      expect([short, ...busy].map((l) => l.lost)).toEqual([false, false, false, false]);
      expect(await client.locks.describe('short')).toMatchObject({ held: true, leaseId: short.id });
      await Promise.all([short, ...busy].map((l) => l.revoke()));
    });
  }, 30_000);
});
