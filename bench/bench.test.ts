import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithBackend } from '../packages/server/test/support/backends.js';
import { REPO_ROOT } from '../packages/server/test/support/server-process.js';
import type { BenchRow } from './lib/result-sink.js';

const run = promisify(execFile);

/** Runs `bench/run.ts` from source, briefly, into `outDir`; returns its stdout and the rows it wrote. */
async function quickBench(outDir: string, flags: string[]): Promise<{ stdout: string; rows: BenchRow[] }> {
  const args = ['--expose-gc', '--conditions=source', '--import', 'tsx', 'bench/run.ts', '--quick'];
  args.push(...flags, '--seconds', '1', '--warmup', '0.2', '--out', outDir, '--no-append');
  const { stdout } = await run(process.execPath, args, { cwd: REPO_ROOT, timeout: 50_000 });
  const [file] = readdirSync(outDir).filter((name) => name.endsWith('.jsonl'));
  const rows = readFileSync(join(outDir, file!), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as BenchRow);
  return { stdout, rows };
}

/** A measured row's figures are there and in order, with no error. */
function expectSane(row: BenchRow): void {
  expect(row.errors, row.path).toBe(0);
  expect(row.ops, row.path).toBeGreaterThan(0);
  expect(row.opsPerSec, row.path).toBeGreaterThan(0);
  expect(row.p50Ms!, row.path).toBeGreaterThan(0);
  expect(row.p50Ms!, row.path).toBeLessThanOrEqual(row.p99Ms!);
  expect(row.p99Ms!, row.path).toBeLessThanOrEqual(row.p999Ms!);
}

describe('npm run bench -- --quick', () => {
  const outDirs: string[] = [];
  const outDir = () => outDirs[outDirs.push(mkdtempSync(join(tmpdir(), 'leasehold-bench-test-'))) - 1]!;
  afterAll(() => outDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('measures the SDK on lock.memory beside the trivial server and writes sane rows', async () => {
    const flags = ['--scenarios', 'uncontended', '--paths', 'sdk-stream/lock.memory,trivial-http'];
    const { stdout, rows } = await quickBench(outDir(), [...flags, '--concurrency', '1']);
    expect(stdout).toContain('### Uncontended');
    expect(rows.map((row) => row.path).sort()).toEqual(['sdk-stream/lock.memory', 'trivial-http']);
    for (const row of rows) {
      expect(row, row.path).toMatchObject({ scenario: 'uncontended', concurrency: 1 });
      expectSane(row);
      expect(row.cpu?.server, row.path).toBeGreaterThan(0);
      expect(row.cpu?.client, row.path).toBeGreaterThan(0);
    }
  }, 60_000);

  it('runs only the semaphore and read/write rows with --scenarios, FIFO and exclusion holding', async () => {
    const flags = ['--scenarios', 'semaphore,rwlock', '--stores', 'memory'];
    const { stdout, rows } = await quickBench(outDir(), flags);
    expect(stdout).toContain('### Contended semaphore');
    expect(stdout).toContain('### Contended read/write lock');
    expect(rows.map((row) => `${row.scenario} ${row.path}`)).toEqual([
      'semaphore sdk-stream/lock.memory',
      'rwlock sdk-stream/lock.memory',
    ]);
    for (const row of rows) expectSane(row);
    expect(rows[0]!.extra).toMatchObject({ limit: 4, fifoViolations: 0, overlaps: 0 });
    expect(Number(rows[0]!.extra!.handOffs)).toBeGreaterThan(0);
    expect(rows[1]!.extra).toMatchObject({ overlaps: 0 });
    expect(Number(rows[1]!.extra!.writes)).toBeGreaterThan(0);
    expect(Number(rows[1]!.extra!.reads)).toBeGreaterThan(0);
  }, 60_000);
});

describeWithBackend('redis-server', 'npm run bench -- --quick on Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures redis-semaphore, and runs or skips lock.redis by its capability', async () => {
    const flags = ['--scenarios', 'semaphore', '--stores', 'redis'];
    const { stdout, rows } = await quickBench(dir, flags);
    const peer = rows.find((row) => row.path === 'redis-semaphore');
    expectSane(peer!);
    expect(peer!.extra).toMatchObject({ limit: 4, overlaps: 0 });
    const leasehold = rows.find((row) => row.path === 'sdk-stream/lock.redis');
    if (leasehold) expectSane(leasehold);
    else expect(stdout).toMatch(/semaphore sdk-stream\/lock\.redis skipped: lock\.redis has no semaphores/);
  }, 60_000);
});
