import { LeaseholdClient } from '@leasehold/client';
import type { Lease } from '@leasehold/client';
import { ensure } from '../lib/bench-path.js';
import { storePaths } from '../lib/bench-options.js';
import type { BenchOptions } from '../lib/bench-options.js';
import type { Environment, StoreKind } from '../lib/environment.js';
import { analyzeHandOffs } from '../lib/hand-offs.js';
import type { Grant } from '../lib/hand-offs.js';
import { grantLeases, revokeLeases } from '../lib/lease-batch.js';
import { CpuMeter, processRssMiB, round } from '../lib/process-stats.js';
import type { ResultSink } from '../lib/result-sink.js';
import { leaseholdProcesses } from '../paths/leasehold-paths.js';

/**
 * N waiters queue on one held lock (one lease each, all over one client stream, so their arrival
 * order is known); then the holder lets go and every waiter releases the moment it is served. Measures
 * how fast the queue drains, each hand-off's latency, and checks the grants come in arrival order.
 */
export async function runWaitersDrain(
  env: Environment,
  options: BenchOptions,
  sink: ResultSink,
  rep: number,
): Promise<void> {
  for (const { store, path } of storePaths(options)) {
    global.gc?.();
    const count = store === 'etcd' ? Math.min(options.etcdWaiters, options.waiters) : options.waiters;
    await sink.measure({ scenario: 'waiters', path, concurrency: count, rep }, () =>
      drain(env, store, count, `waiters/${sink.run}/${rep}`),
    );
  }
}

async function drain(env: Environment, store: StoreKind, count: number, name: string) {
  const server = await env.leasehold(store);
  const client = new LeaseholdClient({ url: server.url });
  const leases = await grantLeases(client, count + 1, 600_000);
  try {
    const holder = await client.locks.tryAcquire(name, { lease: leases[0]! });
    ensure(holder.acquired, 'holder', holder.holder);
    const grants: Grant[] = [];
    const served = Promise.all(await queueWaiters(client, name, leases.slice(1), grants));
    served.catch(() => undefined); // awaited below, once the lock is let go
    const meter = new CpuMeter(await leaseholdProcesses(env, store, server)).start();
    const startedAt = performance.now();
    grants.push({ seq: -1, token: holder.fencingToken!, grantedAt: startedAt, releasedAt: startedAt });
    await holder.release();
    await served;
    const seconds = (performance.now() - startedAt) / 1000;
    const usage = meter.stop();
    const handOffs = analyzeHandOffs(grants);
    return {
      seconds: round(seconds, 3),
      ops: count,
      opsPerSec: Math.round(count / seconds),
      p50Ms: handOffs.p50Ms,
      p99Ms: handOffs.p99Ms,
      p999Ms: handOffs.p999Ms,
      cpu: usage.percent,
      extra: {
        fifoViolations: handOffs.fifoViolations,
        overlaps: handOffs.overlaps,
        serverRssMiB: round(processRssMiB(server.child.pid!).rss, 0),
      },
    };
  } finally {
    await revokeLeases(leases);
    await client.close();
  }
}

/** How many waiters join per step; the next step waits until these are in the queue. */
const STEP = 1_000;

/**
 * Starts one wait per lease, in order, a thousand at a time, each thousand once the last is queued.
 * The scenario measures the drain, not the arrival: the SDK sends a turn's requests as one stream
 * frame, and ten thousand acquires in one frame exceed the server's 1 MiB frame limit (the
 * connection drops and the resent frame fails the same way); and lock.etcd, given thousands of
 * acquires at once, fails most of them past its 5 s call deadline.
 */
async function queueWaiters(client: LeaseholdClient, name: string, leases: Lease[], grants: Grant[]) {
  const waits: Promise<void>[] = [];
  const failures: unknown[] = [];
  for (let from = 0; from < leases.length; from += STEP) {
    for (let seq = from; seq < Math.min(leases.length, from + STEP); seq++) {
      const wait = serve(client, leases[seq]!, name, seq, grants);
      wait.catch((error: unknown) => failures.push(error));
      waits.push(wait);
    }
    await waitForWaiters(client, name, waits.length, failures);
  }
  return waits;
}

async function serve(client: LeaseholdClient, lease: Lease, name: string, seq: number, grants: Grant[]) {
  const lock = await client.locks.acquire(name, { lease, waitMs: 600_000 });
  ensure(lock.acquired, `waiter ${seq}`, lock.holder);
  const now = performance.now();
  grants.push({ seq, token: lock.fencingToken!, grantedAt: now, releasedAt: now });
  await lock.release();
}

async function waitForWaiters(client: LeaseholdClient, name: string, count: number, failures: unknown[]) {
  const deadline = performance.now() + 120_000;
  while ((await client.locks.describe(name)).waiters < count) {
    if (failures.length > 0) throw failures[0];
    if (performance.now() > deadline) throw new Error(`${name}: ${count} waiters did not queue within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
