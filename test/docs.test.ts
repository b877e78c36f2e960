import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../packages/server/test/support/server-process.js';
import { REPO_ROOT, spawnServer } from '../packages/server/test/support/server-process.js';
import type { DocBlock } from './support/doc-blocks.js';
import { extractBlocks } from './support/doc-blocks.js';
import { maskOutput } from './support/doc-output.js';
import type { DocTarget } from './support/doc-runner.js';
import { BLOCK_TIMEOUT_MS, runShellBlock, runTsBlock } from './support/doc-runner.js';

const SHELL = new Set(['sh', 'bash', 'shell']);
const TYPESCRIPT = new Set(['ts', 'typescript']);

const docs = [
  join(REPO_ROOT, 'README.md'),
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(REPO_ROOT, 'docs', name)),
];

const where = (block: DocBlock, line = block.line) => `${relative(REPO_ROOT, block.file)}:${line}`;

/**
 * Every shell and TypeScript block of the README and docs/*.md runs as pasted, against a fresh
 * server per file, and prints what the doc shows under it; a block that cannot run says why in the
 * doc (`<!-- not-run: reason -->`).
 */
describe.each(docs.map((file) => [relative(REPO_ROOT, file), file] as const))('%s', (_name, file) => {
  const blocks = extractBlocks(file).filter((b) => SHELL.has(b.lang) || TYPESCRIPT.has(b.lang));
  const runnable = blocks.filter((b) => b.notRun === undefined);
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;
  let target: DocTarget;

  beforeAll(async () => {
    if (runnable.length === 0) return;
    dataDir = mkdtempSync(join(tmpdir(), 'leasehold-docs-'));
    // The defaults the docs describe: no components folder (one lockstore on SQLite), the real TTL floor.
    server = await spawnServer({ dataDir, args: ['--min-ttl-ms', '1000'] });
    target = { root: REPO_ROOT, httpPort: server.port, grpcPort: server.grpcPort };
  });
  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks every block it does not run, with a reason', () => {
    for (const block of blocks.filter((b) => b.notRun !== undefined)) {
      expect(block.notRun!.length, `${where(block)}: a not-run mark needs a reason`).toBeGreaterThan(10);
      console.log(`${where(block)} not run: ${block.notRun}`);
    }
  });

  for (const block of runnable) {
    if (SHELL.has(block.lang)) {
      it(
        `runs the shell block at line ${block.line} and prints what the doc shows`,
        async () => {
          const started = performance.now();
          const runs = await runShellBlock(block, target);
          console.log(
            `${where(block)}: ${runs.length} commands in ${Math.round(performance.now() - started)} ms`,
          );
          for (const { step, output, exitCode } of runs) {
            const context = `${where(block, step.line)}: ${step.command}\n--- printed ---\n${output}`;
            expect(exitCode, context).toBe(step.exitCode);
            if (step.expected.length > 0) {
              expect(maskOutput(output), context).toEqual(maskOutput(step.expected.join('\n')));
            }
          }
        },
        BLOCK_TIMEOUT_MS + 15_000,
      );
    } else {
      it(
        `runs the TypeScript block at line ${block.line}`,
        async () => {
          const started = performance.now();
          const { output, exitCode } = await runTsBlock(block, target);
          console.log(`${where(block)}: ran in ${Math.round(performance.now() - started)} ms`);
          expect(exitCode, `${where(block)}\n--- printed ---\n${output}`).toBe(0);
        },
        BLOCK_TIMEOUT_MS + 15_000,
      );
    }
  }
});
