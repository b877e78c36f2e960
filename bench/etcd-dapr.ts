/**
 * What the Dapr lock API costs on lock.etcd, through the service in-process against a single-member
 * etcd on loopback: TryLock+Unlock cycles per second one at a time, and TryLocks per second on a lock
 * another owner holds. Each figure is the median of three runs.
 * Run: npm run bench:etcd-dapr  (not a test; figures go to bench/RESULTS.md)
 */
import { loadavg } from 'node:os';
import { LeaseholdService } from '@leasehold/core';
import type { Caller } from '@leasehold/core';
import { createEtcdStore } from '../packages/server/src/stores/etcd/index.js';
import { EtcdCluster } from '../packages/server/test/support/etcd-harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const RUNS = 3;
const caller: Caller = { appId: 'bench', role: 'app' };

/** Runs `step` back to back for SECONDS and returns steps per second. */
async function rate(step: () => Promise<void>): Promise<number> {
  const started = performance.now();
  const deadline = started + SECONDS * 1_000;
  let steps = 0;
  while (performance.now() < deadline) {
    await step();
    steps++;
  }
  return (steps * 1_000) / (performance.now() - started);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const cluster = await EtcdCluster.start(process.env.ETCD_BINARY ?? 'etcd', 1);
const store = await createEtcdStore('lockstore', new Map([['endpoints', cluster.endpoints]]));
const service = new LeaseholdService([{ name: 'lockstore', type: 'lock.etcd', keyPrefix: 'appid', store }]);
const lock = (resourceId: string, lockOwner: string) =>
  service.dapr.tryLock(caller, 'lockstore', { resourceId, lockOwner, expiryInSeconds: 60 });
const unlock = (resourceId: string, lockOwner: string) =>
  service.dapr.unlock(caller, 'lockstore', { resourceId, lockOwner });

async function cycle(): Promise<void> {
  if (!(await lock('cycle', 'me')).acquired) throw new Error('TryLock of a free lock failed');
  if ((await unlock('cycle', 'me')) !== 0) throw new Error('Unlock of a held lock failed');
}

async function refused(): Promise<void> {
  if ((await lock('held', 'other')).acquired) throw new Error('TryLock took a held lock');
}

try {
  if (!(await lock('held', 'holder')).acquired) throw new Error('could not take the held lock');
  // Warm up the connection, the JIT and the lease cache before measuring.
  await rate(cycle);
  const cycles: number[] = [];
  const misses: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    cycles.push(await rate(cycle));
    misses.push(await rate(refused));
  }
  const show = (values: number[]) => values.map((v) => v.toFixed(0)).join(' / ');
  console.log(`lock.etcd Dapr, ${SECONDS} s per run, load avg ${loadavg()[0]!.toFixed(2)} on 2 cores`);
  console.log(`TryLock+Unlock cycles/s, c=1: median ${median(cycles).toFixed(0)} (runs ${show(cycles)})`);
  console.log(`TryLock on a held lock /s, c=1: median ${median(misses).toFixed(0)} (runs ${show(misses)})`);
} finally {
  await store.close();
  await cluster.stop();
}
