/**
 * Expiry storm: 1,000,000 leases, each holding a lock, all expiring at the same instant in the
 * memory engine. Prints the time to expire them all, the peak RSS and the worst event-loop stall.
 * Run: npm run bench:expiry-storm [-- --leases N] [-- --json]   (`npm run bench` runs it with --json
 * and records the last line, a JSON object of the same figures)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LocalStore } from '@leasehold/core';

const { values } = parseArgs({
  options: { leases: { type: 'string', default: '1000000' }, json: { type: 'boolean', default: false } },
});
const total = Number(values.leases);
const batch = 10_000;
// The clock stands still while leases are granted, so every lease lapses at the same instant
// however long granting takes; then it runs at real speed.
let frozenAt: number | undefined = performance.now();
let resumedAt = 0;
const clock = {
  now: () => (frozenAt !== undefined ? frozenAt : frozenStart + (performance.now() - resumedAt)),
  wallNow: () => Date.now(),
};
const frozenStart = frozenAt;
const ttlMs = 5_000;
const store = new LocalStore({ clock });

let peakRss = 0;
let worstStallMs = 0;
// CPU this process spent inside the worst gap: on a shared machine the rest of a gap is time the
// OS gave to other processes, not time the event loop was blocked by us.
let worstStallCpuMs = 0;
let last = performance.now();
let lastCpu = process.cpuUsage();
const tickMs = 5;
const sampler = setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const stall = now - last - tickMs;
  if (stall > worstStallMs) {
    worstStallMs = stall;
    worstStallCpuMs = (cpu.user + cpu.system) / 1000;
  }
  last = now;
  lastCpu = process.cpuUsage();
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, tickMs);

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const started = performance.now();
for (let i = 0; i < total; i += batch) {
  const work: Promise<unknown>[] = [];
  for (let j = i; j < Math.min(total, i + batch); j++) {
    work.push(
      store.leases
        .grant({ app: 'test', ttlMs })
        .then((lease) => store.locks.acquire({ app: 'test', key: `lock/${j}`, leaseId: lease.id })),
    );
  }
  await Promise.all(work);
}
const granted = performance.now();
resumedAt = granted;
frozenAt = undefined;
const expireAt = granted + ttlMs;
const stats = store.stats();
console.log(
  `granted ${stats.leases} leases holding ${stats.locks} locks in ${((granted - started) / 1000).toFixed(1)} s`,
);
if (stats.locks !== total) throw new Error('not every lease got its lock');

// Measure only the storm: reset the stall window just before the deadline.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, expireAt - performance.now() - 200)));
global.gc?.();
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
worstStallMs = 0;
worstStallCpuMs = 0;
last = performance.now();
lastCpu = process.cpuUsage();
const stormCpu = process.cpuUsage();
while (store.stats().leases > 0 || store.stats().locks > 0) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const done = performance.now();
histogram.disable();
clearInterval(sampler);
await store.close();

const expireSeconds = (done - expireAt) / 1000;
const stormUsage = process.cpuUsage(stormCpu);
const peakRssBytes = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
const lines = [
  `leases: ${total.toLocaleString('en-US')} (one lock each), all lapsing at one instant`,
  `time to expire all: ${expireSeconds.toFixed(2)} s (${Math.round(total / expireSeconds).toLocaleString('en-US')} leases/s)`,
  `worst event-loop stall during the storm: ${worstStallMs.toFixed(1)} ms wall, of which ${worstStallCpuMs.toFixed(1)} ms on this process's CPU (p99 delay ${(histogram.percentile(99) / 1e6).toFixed(1)} ms)`,
  `CPU for the storm: ${((stormUsage.user + stormUsage.system) / 1e6).toFixed(2)} s; machine load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)} on ${(await import('node:os')).availableParallelism()} cores`,
  `peak RSS: ${mib(peakRssBytes)}`,
  `node ${process.version}, ${new Date().toISOString()}`,
];
for (const line of lines) console.log(line);
if (values.json) {
  const figures = {
    leases: total,
    expireSeconds,
    leasesPerSec: Math.round(total / expireSeconds),
    worstStallMs,
    worstStallCpuMs,
    p99DelayMs: histogram.percentile(99) / 1e6,
    stormCpuSeconds: (stormUsage.user + stormUsage.system) / 1e6,
    peakRssMiB: peakRssBytes / 1024 / 1024,
  };
  console.log(JSON.stringify(figures));
}
