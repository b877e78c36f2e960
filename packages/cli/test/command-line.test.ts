import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { spawnServer } from '../../server/test/support/server-process.js';
import { EXIT } from '../src/exit-codes.js';
import { runCli } from './support/run-cli.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
const UNREACHABLE = 'http://127.0.0.1:1';

describe('the leasehold command line (real processes, server at its default limits)', () => {
  let dir: string;
  let server: ServerProcess;
  const cli = (...args: string[]) => runCli(args, server.url);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-cli-line-'));
    // The last --min-ttl-ms wins: the documented floor of 1 s, not the tests' 100 ms.
    server = await spawnServer({ dataDir: dir, args: ['--min-ttl-ms', '1000'] });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes global flags before, between and after the command words', async () => {
    await cli('counter', 'set', 'anywhere', '3');
    for (const args of [
      ['--url', server.url, '--json', 'counter', 'get', 'anywhere'],
      ['counter', '--json', '--url', server.url, 'get', 'anywhere'],
      ['counter', 'get', 'anywhere', '--url', server.url, '--json'],
    ]) {
      const result = await runCli(args, UNREACHABLE);
      expect(result.code, args.join(' ')).toBe(EXIT.OK);
      expect(JSON.parse(result.stdout), args.join(' ')).toEqual({ name: 'anywhere', value: 3 });
    }
  });

  it('prints its version from package.json', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag], UNREACHABLE);
      expect(result).toMatchObject({ code: EXIT.OK, stdout: `${VERSION}\n` });
    }
  });

  it('refuses durations outside the server limits in the words of its flags', async () => {
    const short = await cli('lock', 'job', '--ttl', '500ms', '--', 'true');
    expect(short.code).toBe(EXIT.USAGE);
    expect(short.stderr).toContain('--ttl: must be at least 1s, got 500ms');
    expect(short.stderr).not.toContain('ttlMs');
    const grant = await cli('leases', 'grant', '--ttl', '0.5');
    expect(grant.stderr).toContain('--ttl: must be at least 1s, got 500ms');
    const wait = await cli('lock', 'job', '--wait', '11m', '--', 'true');
    expect(wait.code).toBe(EXIT.USAGE);
    expect(wait.stderr).toContain('--wait: must be at most 10m, got 11m');
    expect(wait.stderr).not.toContain('waitMs');
    expect(JSON.parse((await cli('status', 'job', '--json')).stdout)).toMatchObject({ held: false });
  });

  it('exits 127 without taking the lock (or waiting for it) when COMMAND is not on PATH or not executable', async () => {
    const holder = (await cli('leases', 'grant', '--ttl', '1m')).stdout.trim();
    await fetch(`${server.url}/v1/lockstore/locks/acquire`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'busy', leaseId: holder }),
    });
    const plain = join(dir, 'not-executable.sh');
    writeFileSync(plain, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const started = Date.now();
    const missing = await cli(
      'lock',
      'busy',
      '--wait',
      '20s',
      '--owner',
      'probe',
      '--',
      'no-such-command-x',
      'a',
    );
    expect(Date.now() - started).toBeLessThan(15_000); // never queued behind the holder
    expect(missing.code).toBe(EXIT.COMMAND_NOT_FOUND);
    expect(missing.stderr).toContain('no-such-command-x: command not found');
    const unrunnable = await cli('lock', 'free', '--owner', 'probe', '--', plain);
    expect(unrunnable.code).toBe(EXIT.COMMAND_NOT_FOUND);
    expect(unrunnable.stderr).toContain(`${plain}: not executable`);

    expect(JSON.parse((await cli('status', 'free', '--json')).stdout)).toMatchObject({ held: false });
    const leases = JSON.parse((await cli('leases', 'list', '--json')).stdout) as { owner?: string }[];
    expect(leases.filter((lease) => lease.owner === 'probe')).toEqual([]);
    await cli('leases', 'revoke', holder);
  });

  it('says "no such lease" when unlocking with a lease that does not exist', async () => {
    const holder = (await cli('leases', 'grant', '--ttl', '1m')).stdout.trim();
    await fetch(`${server.url}/v1/lockstore/locks/acquire`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'taken', leaseId: holder }),
    });
    const result = await cli('unlock', 'taken', '--lease', 'nope');
    expect(result.code).toBe(EXIT.ERROR);
    expect(result.stderr).toContain('--lease nope: no such lease');
    expect(result.stdout + result.stderr).not.toContain('held by other');
    const json = await cli('unlock', 'taken', '--lease', 'nope', '--json');
    expect(json.code).toBe(EXIT.ERROR);
    expect(JSON.parse(json.stdout)).toEqual({ name: 'taken', status: 'no_such_lease' });
    expect(JSON.parse((await cli('status', 'taken', '--json')).stdout)).toMatchObject({ held: true });
    await cli('leases', 'revoke', holder);
  });

  it('answers a usage error with the message and a short usage; the full usage only for --help', async () => {
    const bad = await runCli(['lock', 'job', '--bogus', '--', 'true'], UNREACHABLE);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr).toBe(
      "leasehold: unknown option '--bogus'\n" +
        'Usage: leasehold lock NAME [--ttl 30s] [--wait 0s] [--grace 10s] [--owner TEXT] [--permits N --limit M | --read | --write] -- COMMAND [ARGS...]\n' +
        'See "leasehold lock --help".\n',
    );
    const none = await runCli([], UNREACHABLE);
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.stderr.trim().split('\n')).toHaveLength(3);
    expect(none.stderr).toContain('See "leasehold --help"');

    const help = await runCli(['lock', '--help'], UNREACHABLE);
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toContain('Usage: leasehold lock NAME');
    expect(help.stdout).toMatch(/--ttl <duration>/);
    expect(help.stdout).toMatch(/--permits <n>[\s\S]*--limit <m>[\s\S]*--read[\s\S]*--write/);
    expect(help.stdout).toMatch(/Global Options:[\s\S]*--url <url>/);
    const top = await runCli(['--help'], UNREACHABLE);
    expect(top.stdout).toMatch(/Commands:[\s\S]*lock[\s\S]*Exit codes:/);
  });
});
