import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { spawnServer } from '../../server/test/support/server-process.js';
import { runCli } from './support/run-cli.js';

describe('leasehold kv list (real processes)', () => {
  let dir: string;
  let server: ServerProcess;
  const cli = (...args: string[]) => runCli(args, server.url);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-cli-kv-'));
    server = await spawnServer({ dataDir: dir });
    for (const [key, value] of [
      ['app/b', 'two'],
      ['app/a', 'one\nsecond line'],
      ['app/c', 'three'],
      ['other', 'x'],
    ]) {
      await fetch(`${server.url}/v1/lockstore/kv`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key, value }),
      });
    }
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a table of the keys under a prefix and how to go on', async () => {
    const page = await cli('kv', 'list', 'app/', '--limit', '2');
    expect(page.code).toBe(EXIT.OK);
    expect(page.stdout).toBe(
      [
        'KEY    VERSION  LEASE  VALUE',
        'app/a  1        -      one…',
        'app/b  1        -      two',
        '(more: continue with --after app/b)',
        '',
      ].join('\n'),
    );
    const rest = await cli('kv', 'list', 'app/', '--after', 'app/b', '--json');
    expect(JSON.parse(rest.stdout)).toEqual({
      entries: [expect.objectContaining({ key: 'app/c', value: 'three', version: 1 })],
      more: false,
    });
    expect((await cli('kv', 'list', 'none/')).stdout).toBe('no keys\n');
  });

  it('exits with a usage error on a bad --limit, naming the limit past 1000', async () => {
    const bad = await cli('kv', 'list', '--limit', 'many');
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr).toContain('--limit: expected an integer');
    const big = await cli('kv', 'list', '--limit', '5000');
    expect(big.code).toBe(EXIT.USAGE); // the server refused an argument
    expect(big.stderr).toContain('--limit: must be at most 1000, got 5000');
  });
});
