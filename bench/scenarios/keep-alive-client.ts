/**
 * The client side of the keep-alive scenario, in a process of its own so that its RSS and CPU are
 * its own: grants N leases holding one lock each on one SDK client, keeps them alive by the stream
 * heartbeat for a while, and prints two JSON lines (`granted`, then `steady`) for the parent.
 * Run by bench/scenarios/keep-alive.ts: `keep-alive-client.ts <url> <leases> <heartbeatMs> <seconds>`.
 */
import { LeaseholdClient } from '@leasehold/client';
import type { Lease } from '@leasehold/client';
import { latencyHistogram, percentilesMs, recordMs } from '../lib/closed-loop.js';
import { revokeLeases } from '../lib/lease-batch.js';
import { round } from '../lib/process-stats.js';

const [url, leaseCount, heartbeatMs, seconds] = process.argv.slice(2);
const count = Number(leaseCount);
const client = new LeaseholdClient({ url: url!, heartbeatMs: Number(heartbeatMs) });
const heartbeats = latencyHistogram();
timeHeartbeats(client, (ms) => recordMs(heartbeats, ms));
let lost = 0;
const mib = (bytes: number) => round(bytes / 1024 / 1024, 0);

const leases: Lease[] = [];
const started = performance.now();
for (let i = 0; i < count; i += 256) {
  const batch = Array.from({ length: Math.min(256, count - i) }, async (_, j) => {
    // A TTL of six heartbeats: the heartbeat, not the TTL, sets the renewal interval.
    const lease = await client.leases.grant({ ttlMs: 6 * Number(heartbeatMs), onLost: () => lost++ });
    const lock = await client.locks.tryAcquire(`keep-alive/${i + j}`, { lease });
    if (!lock.acquired) throw new Error(`keep-alive/${i + j} was not free`);
    return lease;
  });
  leases.push(...(await Promise.all(batch)));
}
const grantSeconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ phase: 'granted', grantsPerSec: Math.round(count / grantSeconds) }));

await new Promise((resolve) => setTimeout(resolve, 1000 * Number(seconds)));
console.log(
  JSON.stringify({
    phase: 'steady',
    heartbeats: heartbeats.totalCount,
    heartbeatP50Ms: percentilesMs(heartbeats).p50Ms,
    heartbeatMaxMs: round(heartbeats.maxValue / 1000, 3),
    lost,
    clientRssMiB: mib(process.memoryUsage.rss()),
    ...memoryBreakdown(),
    clientPeakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
  }),
);
await revokeLeases(leases);
await client.close();

/** Where the client's RSS goes: V8's heap (committed and used), and memory outside it. */
function memoryBreakdown(): Record<string, number> {
  const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return {
    clientHeapTotalMiB: mib(heapTotal),
    clientHeapUsedMiB: mib(heapUsed),
    clientExternalMiB: mib(external),
    clientArrayBuffersMiB: mib(arrayBuffers),
  };
}

/**
 * Times every heartbeat round trip. The SDK has no public hook for it, so this wraps the stream
 * transport's heartbeat; it fails loudly if that inner shape changes.
 */
function timeHeartbeats(sdk: LeaseholdClient, record: (ms: number) => void): void {
  // `heartbeat(op, timeoutMs)` since the bulk heartbeat; `ping(timeoutMs)` before it.
  type Send = (...args: unknown[]) => Promise<unknown>;
  const link = (sdk.transport as unknown as { renewer?: { link?: Record<string, unknown> } }).renewer?.link;
  const name = typeof link?.heartbeat === 'function' ? 'heartbeat' : 'ping';
  if (!link || typeof link[name] !== 'function')
    throw new Error('keep-alive bench: the stream renewer has no heartbeat to time');
  const send = (link[name] as Send).bind(link);
  link[name] = async (...args: unknown[]) => {
    const sentAt = performance.now();
    try {
      return await send(...args);
    } finally {
      record(performance.now() - sentAt);
    }
  };
}
