import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { REPO_ROOT } from '../../packages/server/test/support/server-process.js';
import type { BenchOptions } from '../lib/bench-options.js';
import type { Environment } from '../lib/environment.js';
import { CpuMeter, processRssMiB, round } from '../lib/process-stats.js';
import type { ResultSink } from '../lib/result-sink.js';
import { scriptCommand } from '../lib/runtime.js';

const STORE = 'memory';

/**
 * N live leases, each holding one lock, kept alive by one SDK client's stream heartbeat, on a
 * server of their own: the server's CPU and RSS while it only renews, the heartbeat round trip,
 * the client's RSS, and how fast the leases were granted.
 */
export async function runKeepAlive(env: Environment, options: BenchOptions, sink: ResultSink): Promise<void> {
  const heartbeatMs = options.quick ? 1_000 : 5_000;
  for (const leases of options.keepAliveLeases) {
    global.gc?.();
    const key = { scenario: 'keep-alive', path: `sdk-stream/lock.${STORE}`, concurrency: leases, rep: 1 };
    await sink.measure(key, async () => {
      const { server, dispose } = await env.freshLeasehold(STORE);
      try {
        const args = [server.url, String(leases), String(heartbeatMs), String(options.keepAliveSeconds)];
        return await measureClient(args, server.child.pid!);
      } finally {
        await dispose();
      }
    });
  }
}

async function measureClient(args: string[], serverPid: number) {
  const script = await scriptCommand('bench/scenarios/keep-alive-client.ts', REPO_ROOT);
  const child = spawn(process.execPath, [...script, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const { granted, steady, usage, serverRss } = await readReports(child, serverPid);
  const code = await exited;
  if (!steady || !usage || code !== 0) throw new Error(`keep-alive client failed (exit ${code})`);
  return {
    seconds: Number(args[3]),
    cpu: usage.percent,
    extra: {
      heartbeatMs: Number(args[2]),
      grantsPerSec: granted?.grantsPerSec ?? 0,
      heartbeats: steady.heartbeats!,
      heartbeatP50Ms: steady.heartbeatP50Ms!,
      heartbeatMaxMs: steady.heartbeatMaxMs!,
      lost: steady.lost!,
      serverRssMiB: round(serverRss.rss, 0),
      serverPeakRssMiB: round(serverRss.peak, 0),
      clientRssMiB: steady.clientRssMiB!,
      clientPeakRssMiB: steady.clientPeakRssMiB!,
      clientHeapTotalMiB: steady.clientHeapTotalMiB!,
      clientHeapUsedMiB: steady.clientHeapUsedMiB!,
      clientExternalMiB: steady.clientExternalMiB!,
    },
  };
}

type Report = Record<string, number>;

/** Meters the server and the client between the client's `granted` and `steady` reports. */
async function readReports(child: ChildProcessByStdio<null, Readable, null>, serverPid: number) {
  let meter: CpuMeter | undefined;
  let granted: Report | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const report = JSON.parse(line) as Report & { phase: string };
    if (report.phase === 'granted') {
      granted = report;
      meter = new CpuMeter({ server: [serverPid], client: [child.pid!] }).start();
    } else if (report.phase === 'steady') {
      return { granted, steady: report as Report, usage: meter?.stop(), serverRss: processRssMiB(serverPid) };
    }
  }
  return { granted, steady: undefined, usage: undefined, serverRss: { rss: 0, peak: 0 } };
}
