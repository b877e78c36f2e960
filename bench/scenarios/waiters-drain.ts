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
 * order is known); the holder lets go and every waiter releases the moment it is served. Measures
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
    const measured = await drain(env, store, options.waiters, `waiters/${sink.run}/${rep}`);
    sink.add({ scenario: 'waiters', path, concurrency: options.waiters, rep, ...measured });
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
    const served = Promise.all(
      await queueWaiters(leases.slice(1), (lease, seq) => serve(client, lease, name, seq, grants)),
    );
    await waitForWaiters(client, name, count);
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

/**
 * Starts one wait per lease, in order, a thousand per event-loop turn: the SDK sends a turn's requests
 * as one stream frame, and ten thousand acquires in one frame exceed the server's 1 MiB frame limit
 * (the connection then drops and the resent frame fails the same way).
 */
async function queueWaiters(leases: Lease[], start: (lease: Lease, seq: number) => Promise<void>) {
  const waits: Promise<void>[] = [];
  for (const [seq, lease] of leases.entries()) {
    if (seq > 0 && seq % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    const wait = start(lease, seq);
    wait.catch(() => undefined); // awaited by the caller; a waiter failing early must not crash the run first
    waits.push(wait);
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

async function waitForWaiters(client: LeaseholdClient, name: string, count: number): Promise<void> {
  const deadline = performance.now() + 120_000;
  while ((await client.locks.describe(name)).waiters < count) {
    if (performance.now() > deadline) throw new Error(`${name}: ${count} waiters did not queue within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
