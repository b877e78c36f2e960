/**
 * The backends without faults: Redis, three Redlock masters or etcd (one member, or three with
 * `cluster`), started with the test harnesses. The nemesis branch offers the same `StartBackend` with
 * proxies and backend faults.
 */
import { EtcdCluster } from '../../packages/server/test/support/etcd-harness.js';
import { RedisServer } from '../../packages/server/test/support/redis-harness.js';
import { execFileSync } from 'node:child_process';
import type { StartBackend, TortureBackend } from './backend.js';

/** Starts `kind` with no proxy and no faults. */
export const startBackend: StartBackend = async (kind, opts) => {
  if (kind === 'etcd') {
    const cluster = await EtcdCluster.start(findBinaryPath('etcd'), opts.cluster ? 3 : 1);
    return plain(kind, { type: 'lock.etcd', metadata: { endpoints: cluster.endpoints } }, () =>
      cluster.stop(),
    );
  }
  const binary = findBinaryPath('redis-server');
  const servers = await Promise.all(
    Array.from({ length: kind === 'redlock' ? 3 : 1 }, () => RedisServer.start(binary)),
  );
  const addresses = servers.map((server) => server.address).join(',');
  const metadata = kind === 'redlock' ? { redisHosts: addresses } : { redisHost: addresses };
  return plain(kind, { type: 'lock.redis', metadata }, async () => {
    await Promise.all(servers.map((server) => server.destroy()));
  });
};

function plain(
  store: TortureBackend['store'],
  component: ReturnType<TortureBackend['component']>,
  stop: () => Promise<void>,
): TortureBackend {
  return { store, component: () => component, faults: () => [], stop };
}

/** The absolute path of `name` on PATH; throws when it is missing (the test's describeWithBackend says so first). */
export function findBinaryPath(name: string): string {
  try {
    const path = execFileSync('which', [name], { encoding: 'utf8' }).trim();
    if (path) return path;
  } catch {
    // which exits 1 when the binary is missing
  }
  throw new Error(`${name} is not on PATH`);
}
