import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../packages/server/test/support/backends.js';
import { makePki } from '../packages/server/test/support/certs.js';
import { REPO_ROOT } from '../packages/server/test/support/server-process.js';
import { extractBlocks } from './support/doc-blocks.js';

const QUICK_START = 'npm install && npm start';

/** Runs `command` in bash in `cwd`, in its own process group, with the server's ports set by env. */
function startQuickStart(
  cwd: string,
  env: NodeJS.ProcessEnv,
  command = QUICK_START,
): { child: ChildProcess; output: () => string } {
  const child = spawn('bash', ['-c', command], {
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

/** An HTTPS GET trusting `ca`, with an optional token: the status, or 0 when nothing answered. */
function httpsStatus(port: number, path: string, ca: string, token?: string): Promise<number> {
  return new Promise((resolve) => {
    const headers = token === undefined ? {} : { 'dapr-api-token': token };
    const req = request({ host: '127.0.0.1', port, path, ca, headers, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
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

  it("runs the README's TLS block as written, and a SIGHUP rotates the token file", async () => {
    const block = extractBlocks(join(REPO_ROOT, 'README.md')).find((b) =>
      b.code.includes('--tls-cert server.crt --tls-key server.key --api-token-file tokens.yaml'),
    );
    expect(block, "the README's TLS block").toBeDefined();
    const pki = await makePki();
    writeFileSync(join(clone, 'server.crt'), pki.server.cert);
    writeFileSync(join(clone, 'server.key'), pki.server.key);
    writeFileSync(join(clone, 'tokens.yaml'), '- token: first-token\n  appId: orders\n');
    const [port, grpcPort] = [await freePort(), await freePort()];
    const { LEASEHOLD_REQUIRE_BACKENDS: _skip, ...inherited } = process.env;
    const env = { ...inherited, LEASEHOLD_PORT: String(port), LEASEHOLD_GRPC_PORT: String(grpcPort) };
    const server = startQuickStart(clone, env, block!.code);
    try {
      let status = 0;
      for (let i = 0; i < 600 && status !== 204; i++) {
        status = await httpsStatus(port, '/v1.0/healthz', pki.ca.cert);
        if (status !== 204) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status, server.output()).toBe(204);
      expect(await httpsStatus(port, '/v1/stores', pki.ca.cert, 'first-token')).toBe(200);
      // The server's own pid is on its log lines; `npm start` runs it as a child.
      const pid = Number(/"pid":(\d+)/.exec(server.output())?.[1]);
      expect(pid).toBeGreaterThan(0);
      writeFileSync(join(clone, 'tokens.yaml'), '- token: second-token\n  appId: orders\n');
      process.kill(pid, 'SIGHUP');
      let rotated = false;
      for (let i = 0; i < 50 && !rotated; i++) {
        rotated = (await httpsStatus(port, '/v1/stores', pki.ca.cert, 'first-token')) === 401;
        if (!rotated) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(rotated, 'the old token is refused after SIGHUP').toBe(true);
      expect(await httpsStatus(port, '/v1/stores', pki.ca.cert, 'second-token')).toBe(200);
    } finally {
      await stop(server.child);
    }
  }, 120_000);
});
