import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../packages/server/test/support/server-process.js';
import type { BenchRow } from './lib/result-sink.js';

const run = promisify(execFile);

describe('npm run bench -- --quick', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'leasehold-bench-test-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('measures the SDK on lock.memory beside the trivial server and writes sane rows', async () => {
    const args = ['--expose-gc', '--conditions=source', '--import', 'tsx', 'bench/run.ts', '--quick'];
    args.push('--scenarios', 'uncontended', '--paths', 'sdk-stream/lock.memory,trivial-http');
    args.push('--concurrency', '1', '--seconds', '1', '--warmup', '0.2', '--out', outDir, '--no-append');
    const { stdout } = await run(process.execPath, args, { cwd: REPO_ROOT, timeout: 30_000 });
    expect(stdout).toContain('### Uncontended');

    const [file] = readdirSync(outDir).filter((name) => name.endsWith('.jsonl'));
    const rows = readFileSync(join(outDir, file!), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as BenchRow);
    expect(rows.map((row) => row.path).sort()).toEqual(['sdk-stream/lock.memory', 'trivial-http']);
    for (const row of rows) {
      expect(row, row.path).toMatchObject({ scenario: 'uncontended', concurrency: 1, errors: 0 });
      expect(row.ops, row.path).toBeGreaterThan(0);
      expect(row.opsPerSec, row.path).toBeGreaterThan(0);
      expect(row.p50Ms!, row.path).toBeGreaterThan(0);
      expect(row.p50Ms!, row.path).toBeLessThanOrEqual(row.p99Ms!);
      expect(row.p99Ms!, row.path).toBeLessThanOrEqual(row.p999Ms!);
      expect(row.cpu?.server, row.path).toBeGreaterThan(0);
      expect(row.cpu?.client, row.path).toBeGreaterThan(0);
    }
  }, 40_000);
});
