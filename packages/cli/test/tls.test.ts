import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, writeTlsFiles } from '../../server/test/support/certs.js';
import type { TlsFiles } from '../../server/test/support/certs.js';
import { spawnServer } from '../../server/test/support/server-process.js';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { EXIT } from '../src/exit-codes.js';
import { runCli } from './support/run-cli.js';

describe('leasehold against an https:// server', () => {
  let dir: string;
  let files: TlsFiles;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-cli-tls-'));
    const pki = await makePki();
    files = writeTlsFiles(dir, pki.server, pki.ca);
    server = await spawnServer({
      dataDir: dir,
      args: ['--tls-cert', files.cert, '--tls-key', files.key],
      ca: pki.ca.cert,
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the server with --ca FILE, and not without it', async () => {
    expect(server.url).toMatch(/^https:/);
    expect(await runCli(['counter', 'add', 'tls', '--ca', files.ca], server.url)).toMatchObject({
      code: EXIT.OK,
      stdout: '1\n',
    });
    expect((await runCli(['counter', 'get', 'tls'], server.url)).code).toBe(EXIT.UNAVAILABLE);
    const missing = await runCli(['counter', 'get', 'tls', '--ca', join(dir, 'nope.crt')], server.url);
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toContain(`--ca ${join(dir, 'nope.crt')}: cannot read`);
  });
});
