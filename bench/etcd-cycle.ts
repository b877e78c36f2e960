/**
 * lock.etcd against the etcd3 package's `Lock` on the same single-member etcd: SDK-stream
 * tryAcquire+release cycles/s at BENCH_CONCURRENCY (64), Dapr HTTP TryLock+Unlock at c=1, and the
 * etcd3 Lock at both. Server and etcd CPU per cycle come from /proc.
 * Run: node --conditions=source --import tsx bench/etcd-cycle.ts  (not a test)
 * Env: BENCH_SECONDS (5), BENCH_CONCURRENCY (64), BENCH_ROUNDS (3, interleaved),
 * BENCH_ONLY (sdk|dapr), BENCH_PROFILE_DIR (writes the server's .cpuprofile there on exit).
 */
import { loadavg } from 'node:os';
import { Etcd3 } from 'etcd3';
import { Pool } from 'undici';
import { LeaseholdClient } from '@leasehold/client';
import { dataDirWithComponent } from '../packages/server/test/support/components.js';
import { EtcdCluster } from '../packages/server/test/support/etcd-harness.js';
import { spawnServer } from '../packages/server/test/support/server-process.js';
import { processCpuSeconds } from './lib/process-stats.js';
import { countCycles } from './lib/closed-loop.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ONLY = process.env.BENCH_ONLY;
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const WARMUP_MS = 1_000;
const PRELOAD = new URL('./cpu-profile.mjs', import.meta.url).pathname;

/** A process's user+system CPU in µs. */
const cpuOf = (pid: number | undefined): number => (pid === undefined ? 0 : processCpuSeconds(pid) * 1e6);

/** Runs `cycle` on `workers` workers for WARMUP_MS, then SECONDS; prints cycles/s and CPU µs per cycle. */
async function drive(
  label: string,
  workers: number,
  cycle: (n: number) => Promise<void>,
  pids: Record<string, number | undefined>,
): Promise<number> {
  const run = (ms: number) => countCycles(workers, ms, cycle);
  await run(WARMUP_MS);
  if (PROFILE_DIR && pids.server !== undefined) process.kill(pids.server, 'SIGUSR2');
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
  const started = performance.now();
  const cycles = await run(SECONDS * 1_000);
  const rate = cycles / ((performance.now() - started) / 1_000);
  const cpu = Object.entries(pids).map(
    ([k, pid]) => `${k} ${((cpuOf(pid) - before[k]!) / cycles).toFixed(0)}`,
  );
  console.log(
    `${label.padEnd(16)} ${Math.round(rate).toString().padStart(6)} cycles/s  µs CPU/cycle: ${cpu.join(', ')}`,
  );
  return rate;
}

const cluster = await EtcdCluster.start(process.env.ETCD_BINARY ?? 'etcd', 1);
const etcdPid = cluster.pids()[0];
const server = await spawnServer({
  dataDir: dataDirWithComponent('lock.etcd', { endpoints: cluster.endpoints }),
  env: {
    NODE_OPTIONS: PROFILE_DIR ? `--import ${PRELOAD}` : '',
    ...(PROFILE_DIR ? { CPU_PROFILE_DIR: PROFILE_DIR } : {}),
  },
});
const pids = { server: server.child.pid, etcd: etcdPid };
const client = new LeaseholdClient({ url: server.url });
const http = new Pool(server.url, { connections: 4 });
const etcd = new Etcd3({ hosts: cluster.endpoints.split(',').map((host) => `http://${host}`) });
const lease = await client.leases.grant({ ttlMs: 600_000 });

async function post(path: string, body: unknown): Promise<any> {
  const response = await http.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.body.json();
}

const sdk = async (n: number) => {
  const lock = await client.locks.tryAcquire(`bench/sdk/${n}`, { lease });
  if (!lock.acquired) throw new Error('not acquired');
  await lock.release();
};
const dapr = async (n: number) => {
  const lock = { resourceId: `bench/dapr/${n}`, lockOwner: `owner-${n}` };
  const taken = await post('/v1.0-alpha1/lock/lockstore', { ...lock, expiryInSeconds: 60 });
  if (taken.success !== true) throw new Error(`TryLock: ${JSON.stringify(taken)}`);
  const released = await post('/v1.0-alpha1/unlock/lockstore', lock);
  if (released.status !== 0) throw new Error(`Unlock: ${JSON.stringify(released)}`);
};
const peer = async (n: number) => {
  const lock = etcd.lock(`bench/etcd3/${n}`).ttl(60);
  await lock.acquire();
  await lock.release();
};

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `server pid ${server.child.pid}, etcd pid ${etcdPid}; c=${CONCURRENCY}, ${SECONDS} s x ${ROUNDS}, load ${load()}`,
);
const results: Record<string, number[]> = {};
const record = (label: string, rate: number) => (results[label] ??= []).push(rate);
try {
  for (let round = 0; round < ROUNDS; round++) {
    if (ONLY !== 'dapr') {
      record('sdk', await drive(`sdk c=${CONCURRENCY}`, CONCURRENCY, sdk, pids));
      record('etcd3', await drive(`etcd3 c=${CONCURRENCY}`, CONCURRENCY, peer, { etcd: etcdPid }));
    }
    if (ONLY !== 'sdk') {
      record('dapr1', await drive('dapr-http c=1', 1, dapr, pids));
      record('etcd3-1', await drive('etcd3 c=1', 1, peer, { etcd: etcdPid }));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  if (m.sdk && m.etcd3)
    console.log(`sdk/etcd3 at c=${CONCURRENCY}: ${(m.sdk / m.etcd3).toFixed(2)}x (medians)`);
  if (m.dapr1 && m['etcd3-1']) console.log(`dapr-http/etcd3 at c=1: ${(m.dapr1 / m['etcd3-1']).toFixed(2)}x`);
  console.log(`load ${load()}`);
} catch (error) {
  console.error(`server log:\n${server.output().slice(-4000)}`);
  throw error;
} finally {
  await client.close();
  await http.close();
  etcd.close();
  await server.stop();
  await cluster.stop();
}
