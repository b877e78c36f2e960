import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdClient } from '@leasehold/client';
import { dataDirWithComponent } from '../../packages/server/test/support/components.js';
import { EtcdCluster } from '../../packages/server/test/support/etcd-harness.js';
import { freePort } from '../../packages/server/test/support/free-port.js';
import { RedisServer } from '../../packages/server/test/support/redis-harness.js';
import { REPO_ROOT, spawnServer } from '../../packages/server/test/support/server-process.js';
import { FROM_SOURCE } from './runtime.js';
import type { ServerProcess } from '../../packages/server/test/support/server-process.js';

/** The stores Leasehold is measured on. */
export type StoreKind = 'memory' | 'sqlite' | 'redis' | 'etcd';

/** The trivial node:http lock server, in its own process. */
export interface TrivialServer {
  readonly url: string;
  readonly pid: number;
}

/**
 * Everything a benchmark talks to, each started on first use on free loopback ports and stopped by
 * `close()`: one redis-server, one etcd, one Leasehold server per store, the trivial server.
 */
export class Environment {
  private readonly started = new Map<string, Promise<unknown>>();
  private readonly cleanups: (() => Promise<void> | void)[] = [];

  constructor(private readonly options: { etcdMembers: number }) {}

  /** The shared redis-server. */
  redis(): Promise<RedisServer> {
    return this.once('redis', async () => {
      const redis = await RedisServer.start(binary('redis-server'));
      this.cleanups.push(() => redis.destroy());
      return redis;
    });
  }

  /** The shared etcd (in /dev/shm, as the tests run it). */
  etcd(): Promise<EtcdCluster> {
    return this.once('etcd', async () => {
      const etcd = await EtcdCluster.start(binary('etcd'), this.options.etcdMembers);
      this.cleanups.push(() => etcd.stop());
      return etcd;
    });
  }

  /** The long-lived Leasehold server on `store`. */
  leasehold(store: StoreKind): Promise<ServerProcess> {
    return this.once(`leasehold:${store}`, async () => {
      const { server, dispose } = await this.freshLeasehold(store);
      this.cleanups.push(dispose);
      return server;
    });
  }

  /** A Leasehold server of its own on `store`, for a scenario that must not share one; stop it yourself. */
  async freshLeasehold(store: StoreKind): Promise<{ server: ServerProcess; dispose: () => Promise<void> }> {
    const dataDir = await this.dataDir(store);
    const server = await spawnServer({
      dataDir,
      built: !FROM_SOURCE,
      // The drain scenario queues 10,000 waiters and more; the default per-app quota is 10,000.
      args: ['--quotas', 'waiters=10000000'],
      env: { LEASEHOLD_LOG_LEVEL: 'error' },
    });
    const dispose = async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
    await untilStreamAnswers(server.url).catch(async (error: unknown) => {
      await dispose();
      throw error;
    });
    return { server, dispose };
  }

  /** The trivial node:http Map lock server. */
  trivial(): Promise<TrivialServer> {
    return this.once('trivial', async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ['bench/lib/trivial-server.mjs', String(port)], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      this.cleanups.push(() => stopChild(child));
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`trivial server exited with ${code}`)));
        child.stdout.once('data', () => resolve());
      });
      return { url: `http://127.0.0.1:${port}`, pid: child.pid! };
    });
  }

  /** Stops everything started, newest first. */
  async close(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) {
      await Promise.resolve(cleanup()).catch((error: unknown) => console.error('cleanup failed:', error));
    }
  }

  private async dataDir(store: StoreKind): Promise<string> {
    switch (store) {
      case 'sqlite':
        // No components folder: the default store, lock.sqlite in the data dir.
        return mkdtempSync(join(tmpdir(), 'leasehold-bench-sqlite-'));
      case 'memory':
        return dataDirWithComponent('lock.memory', {});
      case 'redis':
        return dataDirWithComponent('lock.redis', { redisHost: (await this.redis()).address });
      case 'etcd':
        return dataDirWithComponent('lock.etcd', { endpoints: (await this.etcd()).endpoints });
    }
  }

  private once<T>(key: string, start: () => Promise<T>): Promise<T> {
    let promise = this.started.get(key) as Promise<T> | undefined;
    if (!promise) {
      promise = start();
      this.started.set(key, promise);
    }
    return promise;
  }
}

function binary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this folder
    }
  }
  throw new Error(`${name} is not on PATH: apt-get install ${name === 'etcd' ? 'etcd-server' : name}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  return exited;
}

/**
 * Waits until the client stream answers. /healthz answers as soon as HTTP listens, but the server
 * starts gRPC and then attaches the stream after that: a client connecting in between gets a 404,
 * which the SDK takes as "this server has no stream" and fails every call.
 */
async function untilStreamAnswers(url: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const client = new LeaseholdClient({ url });
    try {
      await client.locks.describe('bench/ready');
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
    } finally {
      await client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
