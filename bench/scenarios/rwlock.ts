import type { RwLockMode } from '@leasehold/client';
import { ensure } from '../lib/bench-path.js';
import { storePaths } from '../lib/bench-options.js';
import type { BenchOptions } from '../lib/bench-options.js';
import { storeHas } from '../lib/capability.js';
import { latencyHistogram, percentilesMs, recordMs, runClosedLoop } from '../lib/closed-loop.js';
import type { Environment, StoreKind } from '../lib/environment.js';
import type { ResultSink } from '../lib/result-sink.js';
import { withWorkerLeases } from '../paths/leasehold-paths.js';

const WORKERS = 16;
/** Workers 0–3 write, the other 12 read. */
const WRITERS = 4;
const STORES: readonly StoreKind[] = ['memory', 'redis'];

/**
 * 16 workers on one read/write lock, 4 writing and 12 reading, each acquiring (a blocking wait) and
 * releasing at once. The latencies are acquire waits (request sent to grant received), all modes
 * together and writes alone; every grant is checked for a write beside another grant, as the client
 * saw them. No peer offers read/write locks over the same Redis, so Leasehold runs alone.
 */
export async function runRwLock(
  env: Environment,
  options: BenchOptions,
  sink: ResultSink,
  rep: number,
): Promise<void> {
  for (const { store, path } of storePaths(options).filter(({ store }) => STORES.includes(store))) {
    if (!(await storeHas(env, store, 'rwlocks', sink, `rwlock ${path}`))) continue;
    global.gc?.();
    await sink.measure({ scenario: 'rwlock', path, concurrency: WORKERS, rep }, () =>
      readersAndWriters(env, store, options, `rwlock/${sink.run}/${rep}`),
    );
  }
}

/** A grant as the client saw it: from its arrival to its release being sent. */
interface Held {
  readonly write: boolean;
  readonly grantedAt: number;
  readonly releasedAt: number;
}

function readersAndWriters(env: Environment, store: StoreKind, options: BenchOptions, name: string) {
  return withWorkerLeases(env, store, WORKERS, async ({ client, leases, processes }) => {
    const waits = { all: latencyHistogram(), write: latencyHistogram() };
    const held: Held[] = [];
    const measureFrom = performance.now() + options.warmupMs;
    try {
      const loop = await runClosedLoop({
        workers: WORKERS,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        processes,
        async cycle(worker) {
          const mode: RwLockMode = worker < WRITERS ? 'write' : 'read';
          const sentAt = performance.now();
          const lock = await client.rwlocks.acquire(name, { lease: leases[worker]!, mode, waitMs: 30_000 });
          ensure(lock.acquired, 'acquire', { heldAs: lock.heldAs, waiters: lock.waiters });
          const now = performance.now();
          held.push({ write: mode === 'write', grantedAt: now, releasedAt: now });
          if (sentAt >= measureFrom) recordWait(waits, mode, now - sentAt);
          await lock.release();
        },
      });
      return {
        ...loop,
        ...percentilesMs(waits.all),
        extra: { ...waitFigures(waits), overlaps: writerOverlaps(held) },
      };
    } finally {
      waits.all.destroy();
      waits.write.destroy();
    }
  });
}

type Waits = Record<'all' | 'write', ReturnType<typeof latencyHistogram>>;

function recordWait(waits: Waits, mode: RwLockMode, ms: number): void {
  recordMs(waits.all, ms);
  if (mode === 'write') recordMs(waits.write, ms);
}

function waitFigures(waits: Waits) {
  const write = percentilesMs(waits.write);
  return {
    writes: waits.write.totalCount,
    reads: waits.all.totalCount - waits.write.totalCount,
    writeP50Ms: write.p50Ms,
    writeP99Ms: write.p99Ms,
  };
}

/** Grants that reached a client while a write it had been granted was not yet released, or vice versa. */
export function writerOverlaps(held: readonly Held[]): number {
  const byGrant = [...held].sort((a, b) => a.grantedAt - b.grantedAt);
  let overlaps = 0;
  let anyUntil = -Infinity;
  let writeUntil = -Infinity;
  for (const grant of byGrant) {
    if ((grant.write ? anyUntil : writeUntil) > grant.grantedAt) overlaps++;
    anyUntil = Math.max(anyUntil, grant.releasedAt);
    if (grant.write) writeUntil = Math.max(writeUntil, grant.releasedAt);
  }
  return overlaps;
}
