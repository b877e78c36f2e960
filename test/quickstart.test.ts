import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../packages/server/test/support/backends.js';
import { REPO_ROOT } from '../packages/server/test/support/server-process.js';
import { extractBlocks } from './support/doc-blocks.js';

const QUICK_START = 'npm install && npm start';

/** Runs `command` in bash in `cwd`, in its own process group, with the server's ports set by env. */
function startQuickStart(cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn('bash', ['-c', QUICK_START], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function readyWithin(port: number, ms: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready on port ${port} within ${ms} ms`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGTERM');
  return exited;
}

/**
 * The README's first block, literally, in a fresh clone: `npm install && npm start` with
 * LEASEHOLD_PORT and LEASEHOLD_GRPC_PORT set to free ports (tests never use the fixed 3500). The
 * install must leave the clone's `git status` clean, and a second start (nothing changed) is timed.
 */
describe('the README quick start in a fresh clone', () => {
  let clone: string;
  const timings: string[] = [];

  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), 'leasehold-clone-'));
    execFileSync('git', ['clone', '--quiet', REPO_ROOT, clone]);
  });
  afterAll(() => {
    console.log(`quick start: ${timings.join(', ')}`);
    rmSync(clone, { recursive: true, force: true });
  });

  it('is the README block the docs test leaves to this test', () => {
    const block = extractBlocks(join(REPO_ROOT, 'README.md')).find((b) => b.code.trim() === QUICK_START);
    expect(block, 'the README shows `npm install && npm start`').toBeDefined();
  });

  it('installs without touching tracked files, starts, and starts again quickly', async () => {
    const [port, grpcPort] = [await freePort(), await freePort()];
    const { LEASEHOLD_REQUIRE_BACKENDS: _skip, ...inherited } = process.env;
    const env = { ...inherited, LEASEHOLD_PORT: String(port), LEASEHOLD_GRPC_PORT: String(grpcPort) };
    const first = startQuickStart(clone, env);
    try {
      timings.push(`install + build + start ${(await readyWithin(port, 240_000)) / 1000} s`);
    } catch (error) {
      throw new Error(`${String(error)}\n${first.output()}`);
    } finally {
      await stop(first.child);
    }
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })).toBe('');
    const again = startQuickStart(clone, env);
    try {
      const ms = await readyWithin(port, 60_000);
      timings.push(`second start ${(ms / 1000).toFixed(1)} s`);
      expect(again.output()).toContain(`http://127.0.0.1:${port}/ui`);
    } finally {
      await stop(again.child);
    }
  }, 320_000);
});
