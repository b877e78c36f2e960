/**
 * Preload (`node --import ./bench/lib/stall-probe.mjs …`) that tells where a server's tail latency
 * comes from: its event-loop delay and its GC pauses, written to stderr as one JSON line at exit.
 * `STALL_PROBE_RESET` (a signal name, SIGUSR2 by default) clears both, to leave a warm-up out.
 */
import { writeSync } from 'node:fs';
import process from 'node:process';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
let gc = {};
const reset = () => {
  loop.reset();
  gc = {};
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = KINDS[entry.detail?.kind] ?? String(entry.detail?.kind);
    const seen = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0, over5ms: 0 });
    seen.count++;
    seen.totalMs += entry.duration;
    seen.maxMs = Math.max(seen.maxMs, entry.duration);
    if (entry.duration > 5) seen.over5ms++;
  }
}).observe({ entryTypes: ['gc'] });
process.on(process.env.STALL_PROBE_RESET ?? 'SIGUSR2', reset);
process.on('exit', () => {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const line = {
    stallProbe: process.pid,
    loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    gc: Object.fromEntries(
      Object.entries(gc).map(([kind, seen]) => [
        kind,
        { ...seen, totalMs: Math.round(seen.totalMs), maxMs: Math.round(seen.maxMs * 10) / 10 },
      ]),
    ),
  };
  writeSync(2, `${JSON.stringify(line)}\n`);
});
