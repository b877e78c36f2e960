import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { spawnServer } from '../../server/test/support/server-process.js';
import { main } from '../src/main.js';
import { runCli, startCli } from './support/run-cli.js';

/** Runs the command line in this process, capturing its output. */
async function inProcess(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await main(args, {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    env: {},
  });
  return { code, stdout, stderr };
}

describe('leasehold kv, counter, leases, unlock and help (real processes)', () => {
  let dir: string;
  let server: ServerProcess;
  const cli = (...args: string[]) => runCli(args, server.url);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-cli-'));
    server = await spawnServer({ dataDir: dir });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts, gets and deletes keys; a missing key exits 1', async () => {
    expect((await cli('kv', 'put', 'config/mode', 'blue')).stdout).toBe('config/mode: version 1\n');
    expect((await cli('kv', 'get', 'config/mode')).stdout).toBe('blue\n');
    expect(JSON.parse((await cli('kv', 'get', 'config/mode', '--json')).stdout)).toMatchObject({
      key: 'config/mode',
      value: 'blue',
      version: 1,
    });
    expect((await cli('kv', 'del', 'config/mode')).code).toBe(EXIT.OK);
    const missing = await cli('kv', 'get', 'config/mode');
    expect(missing.code).toBe(EXIT.ERROR);
    expect(missing.stderr).toContain('KEY_NOT_FOUND');
  });

  it('counts', async () => {
    expect((await cli('counter', 'add', 'deploys')).stdout).toBe('1\n');
    expect((await cli('counter', 'add', 'deploys', '5')).stdout).toBe('6\n');
    expect((await cli('counter', 'set', 'deploys', '10')).stdout).toBe('10\n');
    expect(JSON.parse((await cli('counter', 'get', 'deploys', '--json')).stdout)).toEqual({
      name: 'deploys',
      value: 10,
    });
  });

  it('grants, shows and revokes a lease; unlock by another lease exits 1', async () => {
    const id = (await cli('leases', 'grant', '--ttl', '1m')).stdout.trim();
    const other = (await cli('leases', 'grant', '--ttl', '1m')).stdout.trim();
    await fetch(`${server.url}/v1/lockstore/locks/acquire`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'held', leaseId: id }),
    });
    const shown = await cli('leases', 'get', id);
    expect(shown.stdout).toContain(`lease ${id}`);
    expect(shown.stdout).toMatch(/locks\s+held/);
    const refused = await cli('unlock', 'held', '--lease', other);
    expect(refused.code).toBe(EXIT.ERROR);
    expect(refused.stdout).toContain('held by other');
    expect((await cli('leases', 'revoke', id)).stdout).toBe(`lease ${id}: revoked\n`);
    expect((await cli('leases', 'revoke', id)).stdout).toBe(`lease ${id}: already gone\n`);
    expect((await cli('unlock', 'held', '--lease', id)).stdout).toBe('held: not held\n');
  });

  it('watches a prefix until interrupted', async () => {
    const watcher = startCli(['watch', 'w/'], server.url);
    // Writes until the watcher (still starting up at first) reports one.
    const deadline = Date.now() + 15_000;
    for (let n = 1; !watcher.stdout().includes('put w/a') && Date.now() < deadline; n++) {
      await fetch(`${server.url}/v1/lockstore/kv`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'w/a', value: `v${n}` }),
      });
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(watcher.stdout()).toMatch(/^#\d+ put w\/a = v\d+$/m);
    watcher.child.kill('SIGINT');
    expect(await watcher.exited).toBe(EXIT.OK);
  });

  it('prints help for every command and exits 2 on bad usage', async () => {
    for (const command of ['lock', 'unlock', 'status', 'leases', 'kv', 'counter', 'watch']) {
      const help = await inProcess(command, '--help');
      expect(help.code, command).toBe(EXIT.OK);
      expect(help.stdout, command).toContain(`Usage: leasehold ${command}`);
    }
    const unknown = await inProcess('frobnicate');
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const missing = await inProcess('unlock', 'x');
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toContain('--lease');
  });
});
