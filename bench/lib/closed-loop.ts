import { build } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { CpuMeter, round } from './process-stats.js';
import type { ProcessGroups } from './process-stats.js';

/** One cycle of a worker: one acquire and one release, on the worker's own lock. */
export type Cycle = (worker: number) => Promise<void>;

/** What one measured window produced. */
export interface Measured {
  readonly seconds: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly errors: number;
  /** CPU % of one core, per process role (`client` is this driver). */
  readonly cpu: Record<string, number>;
  /** Server CPU µs per op, when a `server` role was metered. */
  readonly serverUsPerOp?: number;
  readonly firstError?: string;
}

/** A histogram of latencies in µs: 1 µs to 10 min, 3 significant digits. */
export function latencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** p50/p99/p99.9 of a µs histogram, in ms. */
export function percentilesMs(histogram: Histogram): { p50Ms: number; p99Ms: number; p999Ms: number } {
  const at = (p: number) => round(histogram.getValueAtPercentile(p) / 1000, 3);
  return { p50Ms: at(50), p99Ms: at(99), p999Ms: at(99.9) };
}

/** Records one latency in ms into a µs histogram. */
export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** Runs `workers` closed loops of `cycle` for `ms` and returns how many cycles completed (no latencies). */
export async function countCycles(workers: number, ms: number, cycle: Cycle): Promise<number> {
  const deadline = performance.now() + ms;
  let cycles = 0;
  const worker = async (n: number) => {
    while (performance.now() < deadline) {
      await cycle(n);
      cycles++;
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, n) => worker(n)));
  return cycles;
}

/**
 * Runs `workers` closed loops of `cycle` (each starts its next cycle when the last one ends) for a
 * warm-up, then for `durationMs` with every cycle's latency recorded and the processes metered.
 */
export async function runClosedLoop(options: {
  workers: number;
  warmupMs: number;
  durationMs: number;
  cycle: Cycle;
  processes: ProcessGroups;
}): Promise<Measured> {
  const histogram = latencyHistogram();
  const meter = new CpuMeter(options.processes);
  const warmEnd = performance.now() + options.warmupMs;
  const end = warmEnd + options.durationMs;
  let errors = 0;
  let firstError: string | undefined;
  let measuring = false;
  const opened = setTimeout(() => {
    measuring = true;
    meter.start();
  }, options.warmupMs);
  const worker = async (n: number) => {
    // A failing path must not spin: give up on this worker after a few errors.
    while (performance.now() < end && errors < 50) {
      const started = performance.now();
      try {
        await options.cycle(n);
        if (measuring && started >= warmEnd) recordMs(histogram, performance.now() - started);
      } catch (error) {
        errors++;
        firstError ??= String((error as Error)?.message ?? error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers }, (_, n) => worker(n)));
  clearTimeout(opened);
  if (!measuring) meter.start();
  const measured = summarize(histogram, meter.stop(), options.durationMs / 1000);
  histogram.destroy();
  return { ...measured, errors, ...(firstError === undefined ? {} : { firstError }) };
}

function summarize(
  histogram: Histogram,
  usage: ReturnType<CpuMeter['stop']>,
  seconds: number,
): Omit<Measured, 'errors' | 'firstError'> {
  const ops = histogram.totalCount;
  const serverSeconds = usage.seconds.server;
  return {
    seconds,
    ops,
    opsPerSec: Math.round(ops / seconds),
    ...percentilesMs(histogram),
    cpu: usage.percent,
    ...(serverSeconds === undefined || ops === 0
      ? {}
      : { serverUsPerOp: round((serverSeconds * 1e6) / ops, 1) }),
  };
}
