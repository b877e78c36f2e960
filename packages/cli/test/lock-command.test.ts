import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { spawnServer } from '../../server/test/support/server-process.js';
import { runCli, startCli } from './support/run-cli.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('leasehold lock, status and the exit codes (real processes)', () => {
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-cli-'));
    server = await spawnServer({ dataDir: dir });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds demo while the command runs, shows it in status, and stops it with exit 76 when the lease is revoked', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const lock = startCli(
      ['lock', 'demo', '--ttl', '5s', '--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`],
      server.url,
    );
    const [, token, leaseId] = await lock.waitForStderr(/acquired demo \(token (\d+), lease (\S+)\)/);
    await new Promise((r) => setTimeout(r, 300));
    const sleepPid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(sleepPid)).toBe(true);

    const human = await runCli(['status', 'demo'], server.url);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`held by lease ${leaseId}`);
    expect(human.stdout).toMatch(new RegExp(`fencing token\\s+${token}`));
    expect(human.stdout).toMatch(/time left\s+\d/);
    const json = await runCli(['status', 'demo', '--json'], server.url);
    const described = JSON.parse(json.stdout);
    expect(described).toMatchObject({ name: 'demo', held: true, leaseId, fencingToken: Number(token) });
    expect(described.expiresInMs).toBeGreaterThan(0);

    const busy = await runCli(['lock', 'demo', '--', 'true'], server.url);
    expect(busy.code).toBe(EXIT.NOT_ACQUIRED);
    expect(busy.stderr).toContain('not acquired');

    const revokedAt = Date.now();
    const response = await fetch(`${server.url}/v1/lockstore/leases/${leaseId}`, { method: 'DELETE' });
    expect(await response.json()).toEqual({ revoked: true });
    const code = await lock.exited;
    console.log(`lock exited ${code} ${Date.now() - revokedAt} ms after the revoke (TTL 5 s)`);
    expect(code).toBe(EXIT.LOST);
    expect(lock.stderr()).toMatch(/lost/);
    expect(alive(sleepPid)).toBe(false);
  });

  it("passes the command's exit code through and releases the lock", async () => {
    const result = await runCli(['lock', 'job', '--ttl', '2s', '--', 'sh', '-c', 'exit 7'], server.url);
    expect(result.code).toBe(7);
    const status = await runCli(['status', 'job', '--json'], server.url);
    expect(JSON.parse(status.stdout)).toMatchObject({ held: false });
  });

  it('names the bad flag and exits 2', async () => {
    const result = await runCli(['lock', 'job', '--ttl', 'soon', '--', 'true'], server.url);
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.stderr).toContain('--ttl');
  });

  it('exits 69 when the server cannot be reached', async () => {
    const result = await runCli(['status', 'demo'], 'http://127.0.0.1:1');
    expect(result.code).toBe(EXIT.UNAVAILABLE);
  });
});
