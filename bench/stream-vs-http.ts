/**
 * Client stream against HTTP on one machine, and what JSON costs on the stream.
 * Run: npm run bench:stream  (not a test; prints numbers for docs/adr/0006-client-stream.md)
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdClient } from '@leasehold/client';
import { attachStream, startServer } from '@leasehold/server';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

/** Process CPU time per op (client and server share the process): steadier than ops/s on a busy machine. */
function cpuPerOp(since: NodeJS.CpuUsage, ops: number): string {
  const used = process.cpuUsage(since);
  return `${((used.user + used.system) / ops).toFixed(1)} µs CPU/op`;
}

async function reads(client: LeaseholdClient, label: string): Promise<void> {
  const deadline = performance.now() + SECONDS * 1_000;
  const cpu = process.cpuUsage();
  let ops = 0;
  const worker = async (n: number) => {
    while (performance.now() < deadline) {
      await client.locks.describe(`bench:${label}:${n}`);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));
  console.log(
    `${label.padEnd(7)} reads (describe), ${CONCURRENCY} in flight: ${Math.round(ops / SECONDS).toLocaleString()} ops/s, ${cpuPerOp(cpu, ops)}`,
  );
}

async function throughput(client: LeaseholdClient, label: string): Promise<void> {
  const lease = await client.leases.grant({ ttlMs: 30_000 });
  const deadline = performance.now() + SECONDS * 1_000;
  const cpu = process.cpuUsage();
  let ops = 0;
  const worker = async (n: number) => {
    const name = `bench:${label}:${n}`;
    while (performance.now() < deadline) {
      const lock = await client.locks.tryAcquire(name, { lease });
      await lock.release();
      ops += 2;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));
  const cpuText = cpuPerOp(cpu, ops);
  await lease.revoke();
  console.log(
    `${label.padEnd(7)} durable writes (tryAcquire+release), ${CONCURRENCY} in flight: ${Math.round(ops / SECONDS).toLocaleString()} ops/s, ${cpuText}`,
  );
}

function jsonCost(batch: number): void {
  const reply = { id: 123456, result: { acquired: true, fencingToken: 987654 } };
  const frames = 20_000;
  const started = performance.now();
  for (let i = 0; i < frames; i++) {
    const text = JSON.stringify(Array.from({ length: batch }, () => reply));
    JSON.parse(text);
  }
  const perMessageUs = ((performance.now() - started) * 1_000) / (frames * batch);
  console.log(
    `JSON encode+decode, ${String(batch).padStart(2)} per frame: ${perMessageUs.toFixed(2)} µs/message`,
  );
}

const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-bench-'));
const server = await startServer({
  port: 0,
  grpcPort: 0,
  dataDir,
  componentsPath: join(dataDir, 'none'),
  logLevel: 'error',
});
const http = createServer((_q, r) => r.writeHead(404).end());
const stream = attachStream(http, {
  service: server.service,
  authenticate: () => ({ appId: 'bench', role: 'app' }),
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const address = http.address();
const streamUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
try {
  jsonCost(1);
  jsonCost(32);
  const overStream = new LeaseholdClient({ url: streamUrl });
  await reads(overStream, 'stream');
  await throughput(overStream, 'stream');
  await overStream.close();
  const overHttp = new LeaseholdClient({ url: server.url, transport: 'http' });
  await reads(overHttp, 'http');
  await throughput(overHttp, 'http');
  await overHttp.close();
} finally {
  await stream.close();
  http.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
