import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../packages/server/test/support/server-process.js';
import type { BenchOptions } from '../lib/bench-options.js';
import { round } from '../lib/process-stats.js';
import type { ResultSink } from '../lib/result-sink.js';
import { scriptFlags } from '../lib/runtime.js';

/**
 * The expiry storm (bench/expiry-storm.ts: N leases, each holding a lock, lapsing at one instant in
 * the memory engine), run in a process of its own and recorded as a row.
 */
export async function runExpiryStorm(options: BenchOptions, sink: ResultSink): Promise<void> {
  global.gc?.();
  const key = {
    scenario: 'expiry-storm',
    path: 'engine/lock.memory',
    concurrency: options.stormLeases,
    rep: 1,
  };
  await sink.measure(key, () => storm(options.stormLeases));
}

async function storm(leases: number) {
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...scriptFlags(), 'bench/expiry-storm.ts', '--leases', String(leases), '--json'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = output.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`expiry storm failed (exit ${code}):\n${output}`);
  const figures = JSON.parse(last) as Record<string, number>;
  return {
    seconds: round(figures.expireSeconds!, 2),
    ops: leases,
    opsPerSec: figures.leasesPerSec!,
    extra: {
      worstStallMs: round(figures.worstStallMs!, 1),
      worstStallCpuMs: round(figures.worstStallCpuMs!, 1),
      p99LoopDelayMs: round(figures.p99DelayMs!, 1),
      stormCpuSeconds: round(figures.stormCpuSeconds!, 2),
      peakRssMiB: round(figures.peakRssMiB!, 0),
    },
  };
}
