import { LeaseholdClient } from '@leasehold/client';
import type { Lease } from '@leasehold/client';
import { connectRpc } from '../../packages/server/test/support/grpc-client.js';
import type { ServerProcess } from '../../packages/server/test/support/server-process.js';
import { ensure } from '../lib/bench-path.js';
import type { BenchPath } from '../lib/bench-path.js';
import type { Environment, StoreKind } from '../lib/environment.js';
import type { ProcessGroups } from '../lib/process-stats.js';
import { grantLeases, revokeLeases } from '../lib/lease-batch.js';
import { jsonPool, sendJson } from '../lib/undici-json.js';

const LEASE_TTL_MS = 60_000;
/** gRPC channels the Dapr gRPC path spreads its workers over: one HTTP/2 connection each, as HTTP has a pool. */
const GRPC_CHANNELS = 4;
/** Each channel on a connection of its own: grpc-js would otherwise share one per target. */
const OWN_CONNECTION = { 'grpc.use_local_subchannel_pool': 1 };

/** The server process and, for a networked store, its backend's processes. */
export async function leaseholdProcesses(env: Environment, store: StoreKind, server: ServerProcess) {
  const groups: Record<string, number[]> = { server: [server.child.pid!] };
  if (store === 'redis') groups.redis = [(await env.redis()).pid!];
  if (store === 'etcd') groups.etcd = (await env.etcd()).pids();
  return groups as ProcessGroups;
}

/** What a contended scenario's workers share: one SDK client, a lease each, the processes to meter. */
export interface WorkerLeases {
  readonly client: LeaseholdClient;
  readonly leases: readonly Lease[];
  readonly processes: ProcessGroups;
}

/**
 * Runs `use` with one SDK client of the Leasehold server on `store` and a lease per worker (TTL 60 s,
 * longer than any measured window); revokes them and closes the client after, whatever `use` did.
 */
export async function withWorkerLeases<T>(
  env: Environment,
  store: StoreKind,
  workers: number,
  use: (shared: WorkerLeases) => Promise<T>,
): Promise<T> {
  const server = await env.leasehold(store);
  const client = new LeaseholdClient({ url: server.url });
  const leases = await grantLeases(client, workers, LEASE_TTL_MS);
  try {
    return await use({ client, leases, processes: await leaseholdProcesses(env, store, server) });
  } finally {
    await revokeLeases(leases);
    await client.close();
  }
}

/** The SDK over the client stream: one client, one pre-granted lease per worker, tryAcquire + release. */
export function sdkStream(store: StoreKind): BenchPath {
  return {
    name: `sdk-stream/lock.${store}`,
    peer: false,
    async open(env, workers, tag) {
      const server = await env.leasehold(store);
      const client = new LeaseholdClient({ url: server.url });
      const leases: Lease[] = [];
      for (let w = 0; w < workers; w++) leases.push(await client.leases.grant({ ttlMs: LEASE_TTL_MS }));
      return {
        processes: await leaseholdProcesses(env, store, server),
        async cycle(worker) {
          const lock = await client.locks.tryAcquire(`bench/${tag}/${worker}`, { lease: leases[worker]! });
          ensure(lock.acquired, 'tryAcquire', lock.fencingToken);
          await lock.release();
        },
        async close() {
          await Promise.all(leases.map((lease) => lease.revoke()));
          await client.close();
        },
      };
    },
  };
}

/** The native HTTP API driven by undici, as the trivial server is: acquire + release on a lease. */
export function nativeHttp(store: StoreKind): BenchPath {
  return {
    name: `native-http/lock.${store}`,
    peer: false,
    async open(env, workers, tag) {
      const server = await env.leasehold(store);
      const pool = jsonPool(server.url, workers);
      const leaseIds: string[] = [];
      for (let w = 0; w < workers; w++) {
        leaseIds.push(
          (await sendJson(pool, 'POST', '/v1/lockstore/leases', { ttlMs: LEASE_TTL_MS })).body.id,
        );
      }
      return {
        processes: await leaseholdProcesses(env, store, server),
        async cycle(worker) {
          const lock = { name: `bench/${tag}/${worker}`, leaseId: leaseIds[worker] };
          const taken = await sendJson(pool, 'POST', '/v1/lockstore/locks/acquire', lock);
          ensure(taken.body?.acquired === true, 'acquire', taken.body);
          const released = await sendJson(pool, 'POST', '/v1/lockstore/locks/release', lock);
          ensure(released.body?.status === 'released', 'release', released.body);
        },
        async close() {
          for (const id of leaseIds) await sendJson(pool, 'DELETE', `/v1/lockstore/leases/${id}`);
          await pool.close();
        },
      };
    },
  };
}

/** Dapr's HTTP lock API driven by undici: TryLock + Unlock, each TryLock an implicit lease. */
export function daprHttp(store: StoreKind): BenchPath {
  return {
    name: `dapr-http/lock.${store}`,
    peer: false,
    async open(env, workers, tag) {
      const server = await env.leasehold(store);
      const pool = jsonPool(server.url, workers);
      return {
        processes: await leaseholdProcesses(env, store, server),
        async cycle(worker) {
          const lock = { resourceId: `bench/${tag}/${worker}`, lockOwner: `owner-${worker}` };
          const taken = await sendJson(pool, 'POST', '/v1.0-alpha1/lock/lockstore', {
            ...lock,
            expiryInSeconds: 60,
          });
          ensure(taken.body?.success === true, 'TryLock', taken.body);
          const released = await sendJson(pool, 'POST', '/v1.0-alpha1/unlock/lockstore', lock);
          ensure(released.body?.status === 0, 'Unlock', released.body);
        },
        close: () => pool.close(),
      };
    },
  };
}

/** Dapr's gRPC lock API through plain grpc-js channels, workers spread over them: TryLockAlpha1 + UnlockAlpha1. */
export function daprGrpc(store: StoreKind): BenchPath {
  return {
    name: `dapr-grpc/lock.${store}`,
    peer: false,
    async open(env, workers, tag) {
      const server = await env.leasehold(store);
      const channels = Math.min(workers, GRPC_CHANNELS);
      const rpcs = await Promise.all(
        Array.from({ length: channels }, () => connectRpc(server.grpcPort, undefined, OWN_CONNECTION)),
      );
      return {
        processes: await leaseholdProcesses(env, store, server),
        async cycle(worker) {
          const rpc = rpcs[worker % channels]!;
          const lock = {
            storeName: 'lockstore',
            resourceId: `bench/${tag}/${worker}`,
            lockOwner: `owner-${worker}`,
          };
          const taken = await rpc.call('TryLockAlpha1', { ...lock, expiryInSeconds: 60 });
          ensure(taken.success === true, 'TryLockAlpha1', taken);
          const released = await rpc.call('UnlockAlpha1', lock);
          ensure(released.status === 0 || released.status === 'SUCCESS', 'UnlockAlpha1', released);
        },
        close: () => Promise.resolve(rpcs.forEach((rpc) => rpc.close())),
      };
    },
  };
}
