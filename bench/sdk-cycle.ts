/**
 * The SDK's own cost per lock cycle (tryAcquire + release) over the client stream, with the server
 * on lock.memory in a child process so the client's CPU is measured alone.
 * Run: npm run bench:sdk-cycle  (not a test; BENCH_SECONDS, BENCH_CONCURRENCY, BENCH_WAIT_MS)
 * Profile the client: node --cpu-prof --conditions=source --import tsx bench/sdk-cycle.ts
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LeaseholdClient } from '@leasehold/client';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
/** 0 measures tryAcquire; above 0, acquire with a wait (the path that may queue). */
const WAIT_MS = Number(process.env.BENCH_WAIT_MS ?? 0);

/** The child: a Leasehold server on lock.memory; tells the parent its URL and, when asked, its CPU. */
async function serve(): Promise<void> {
  const { startServer } = await import('@leasehold/server');
  const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-sdk-cycle-'));
  mkdirSync(join(dataDir, 'components'));
  const component = ['apiVersion: dapr.io/v1alpha1', 'kind: Component', 'metadata:', '  name: lockstore'];
  const spec = ['spec:', '  type: lock.memory', '  version: v1', '  metadata: []', ''];
  writeFileSync(join(dataDir, 'components', 'lockstore.yaml'), [...component, ...spec].join('\n'));
  const server = await startServer({
    port: 0,
    grpcPort: 0,
    dataDir,
    componentsPath: join(dataDir, 'components'),
    logLevel: 'error',
  });
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'stop') {
      void server.close().then(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
    }
  });
  process.send?.({ url: server.url });
}

function ask<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (reply: Record<string, unknown>) => {
      if (!(key in reply)) return;
      child.off('message', onMessage);
      resolve(reply[key] as T);
    };
    child.on('message', onMessage);
    if (message !== '') child.send(message);
  });
}

/** Runs `CONCURRENCY` workers, each cycling its own lock on one pre-granted lease, until `ms` passes. */
async function cycles(client: LeaseholdClient, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let done = 0;
  const worker = async (n: number) => {
    const lease = await client.leases.grant({ ttlMs: 60_000 });
    const name = `bench:sdk:${n}`;
    while (performance.now() < deadline) {
      const lock =
        WAIT_MS > 0
          ? await client.locks.acquire(name, { lease, waitMs: WAIT_MS })
          : await client.locks.tryAcquire(name, { lease });
      if (!lock.acquired) throw new Error(`${name} was not acquired`);
      await lock.release();
      done++;
    }
    await lease.revoke();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));
  return done;
}

async function main(): Promise<void> {
  const { LeaseholdClient: Client } = await import('@leasehold/client');
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof')), // profile the client only
  });
  try {
    const url = await ask<string>(child, '', 'url');
    const client = new Client({ url });
    await cycles(client, WARMUP_SECONDS * 1_000);
    const load = loadavg()[0] ?? 0;
    const serverCpu = await ask<NodeJS.CpuUsage>(child, 'cpu', 'cpu');
    const cpu = process.cpuUsage();
    const started = performance.now();
    const done = await cycles(client, SECONDS * 1_000);
    const elapsed = (performance.now() - started) / 1_000;
    const used = process.cpuUsage(cpu);
    const serverUsed = await ask<NodeJS.CpuUsage>(child, 'cpu', 'cpu');
    await client.close();
    const serverUs = serverUsed.user + serverUsed.system - serverCpu.user - serverCpu.system;
    console.log(
      JSON.stringify({
        bench: 'sdk-cycle',
        op: WAIT_MS > 0 ? `acquire(waitMs ${WAIT_MS})` : 'tryAcquire',
        concurrency: CONCURRENCY,
        cyclesPerSec: Math.round(done / elapsed),
        clientUsPerCycle: Number(((used.user + used.system) / done).toFixed(1)),
        serverUsPerCycle: Number((serverUs / done).toFixed(1)),
        load1: Number(load.toFixed(2)),
      }),
    );
  } finally {
    child.send('stop');
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
