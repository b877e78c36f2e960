import { rmSync } from 'node:fs';
import { LeaseholdClient } from '@leasehold/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../packages/server/test/support/backends.js';
import { dataDirWithComponent } from '../../packages/server/test/support/components.js';
import { spawnServer } from '../../packages/server/test/support/server-process.js';
import type { ServerProcess } from '../../packages/server/test/support/server-process.js';
import type { TortureBackend } from '../runner/backend.js';
import { startBackend } from './backends.js';
import { eventually, tempDir } from './nemesis-test-kit.js';

/** A Leasehold server on `kind`'s component; a lock taken before the faults must outlive every one of them. */
function serverThroughFaults(kind: TortureBackend['store'], cluster: boolean): void {
  const dir = tempDir();
  let backend: TortureBackend;
  let server: ServerProcess;
  let dataDir = '';
  beforeAll(async () => {
    backend = await startBackend(kind, { dir: dir.path, cluster, seed: 11 });
    const { type, metadata } = backend.component();
    dataDir = dataDirWithComponent(type, metadata);
    server = await spawnServer({ dataDir });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await backend?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    dir.remove();
  });

  it('a lock granted before each fault is still held on the same token after it heals', async () => {
    const client = new LeaseholdClient({ url: server.url, transport: 'http' });
    const lease = await client.leases.grant({ ttlMs: 60_000 });
    const lock = await client.locks.tryAcquire('nemesis', { lease });
    expect(lock.acquired).toBe(true);
    for (const fault of backend.faults()) {
      await fault.inject();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await fault.heal();
      const described = await eventually(() => client.locks.describe('nemesis'));
      expect({ kind: fault.kind, ...described }).toMatchObject({
        kind: fault.kind,
        held: true,
        leaseId: lease.id,
        fencingToken: lock.fencingToken,
      });
      await eventually(() => lease.keepAlive());
    }
    const rival = await client.leases.grant({ ttlMs: 60_000 });
    expect((await client.locks.tryAcquire('nemesis', { lease: rival })).acquired).toBe(false);
    expect(await lock.release()).toBe('released');
    const next = await client.locks.tryAcquire('nemesis', { lease: rival });
    expect(next.fencingToken).toBeGreaterThan(lock.fencingToken!);
    await Promise.all([lease.revoke(), rival.revoke()]);
    // The backend persists as the store asks, so the start-up check had nothing to warn about.
    expect(server.output()).not.toMatch(/appendfsync/);
  });
}

describeWithBackend('redis-server', 'nemesis: a Leasehold server on the faulty redis backend', () =>
  serverThroughFaults('redis', false),
);
describeWithBackend(
  'redis-server',
  'nemesis: a Leasehold server on Redlock masters faulted one at a time',
  () => serverThroughFaults('redlock', false),
);
describeWithBackend(
  'etcd',
  'nemesis: a Leasehold server on a faulty 3-member etcd (leader kill included)',
  () => serverThroughFaults('etcd', true),
);
