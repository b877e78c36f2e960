import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { check, renderVerdict } from './check.js';
import { HistoryBuilder } from './history-builder.js';

const run = promisify(execFile);

/** Two holders take x in turn, each writing the register under its token, with a watch on it. */
function clean(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.add('watch.open', 0, 1, { stream: 's1', key: 'k', process: 'w1' });
  h.lease('L1', 0, 1000);
  h.lease('L2', 0, 1000);
  h.acquire('x', 'L1', 2, 3, { token: 10 });
  h.put('k', 'a', 4, 5, { name: 'x', token: 10, leaseId: 'L1', revision: 11, process: 'L1' });
  h.release('x', 'L1', 6, 7);
  h.acquire('x', 'L2', 8, 9, { token: 12 });
  h.add('kv.read', 10, 11, { key: 'k', value: 'a', revision: 11, process: 'L2' });
  h.put('k', 'b', 12, 13, { name: 'x', token: 12, leaseId: 'L2', revision: 13, process: 'L2' });
  h.event('s1', 'k', 11, 14);
  h.event('s1', 'k', 13, 15);
  return h;
}

describe('check', () => {
  it('finds a clean history valid and counts what each property checked', () => {
    const verdict = check(clean().ops);
    expect(verdict).toMatchObject({ valid: true, ops: 11, violations: [] });
    expect(verdict.counts).toEqual({
      'mutual-exclusion': { checked: 2, violated: 0 },
      'token-order': { checked: 2, violated: 0 },
      'stale-fence': { checked: 2, violated: 0 },
      'lost-ack': { checked: 5, violated: 0 },
      'early-release': { checked: 2, violated: 0 },
      register: { checked: 1, violated: 0 },
      watch: { checked: 1, violated: 0 },
      'permit-bound': { checked: 0, violated: 0 },
      'rw-exclusion': { checked: 0, violated: 0 },
    });
    const text = renderVerdict(verdict).split('\n');
    expect(text.slice(0, 2)).toEqual(['VALID: 11 ops', '  mutual-exclusion  checked       2  violated 0']);
  });

  it('reports a double grant as two holders at once and as an early end of the first', () => {
    const h = clean();
    h.acquire('x', 'L3', 20, 21, { token: 14, ttlMs: 100 });
    const verdict = check(h.ops);
    expect(verdict.valid).toBe(false);
    expect(verdict.violations.map((v) => v.property)).toEqual(['mutual-exclusion', 'early-release']);
    expect(renderVerdict(verdict)).toContain('[mutual-exclusion] two grants of x valid at once');
  });

  it('runs as npm run torture:check, exiting 1 on a violation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-check-'));
    try {
      const h = clean();
      h.add('kv.read', 30, 31, { key: 'k', value: 'a', revision: 11 });
      const file = join(dir, 'history.jsonl');
      writeFileSync(file, h.ops.map((op) => JSON.stringify(op)).join('\n'));
      const args = ['--import', 'tsx', 'torture/checker/check-cli.ts', file];
      const failed = await run(process.execPath, args, { cwd: process.cwd() }).catch(
        (error: unknown) => error,
      );
      expect(failed).toMatchObject({ code: 1, stdout: expect.stringMatching(/^INVALID: 12 ops/) });
      expect((failed as { stdout: string }).stdout).toContain('[register] stale read of k');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
