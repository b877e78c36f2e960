import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/backends.js';
import { REPO_ROOT, getJson, postJson, spawnServer } from './support/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runMain(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/server/src/main.ts', ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the server process', () => {
  it('takes every setting from the environment too', async () => {
    const port = await freePort();
    const dataDir = join(dir, 'env-data');
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/server/src/main.ts'],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          LEASEHOLD_PORT: String(port),
          LEASEHOLD_GRPC_PORT: String(await freePort()),
          LEASEHOLD_DATA_DIR: dataDir,
          LEASEHOLD_COMPONENTS_PATH: join(dir, 'no-components'),
          LEASEHOLD_APP_ID: 'env-app',
          LEASEHOLD_LOG_LEVEL: 'warn',
        },
      },
    );
    try {
      let meta: { status: number; body: any } | undefined;
      for (let i = 0; i < 200 && meta?.status !== 200; i++) {
        meta = await getJson(`http://127.0.0.1:${port}/v1.0/metadata`).catch(() => undefined);
        if (meta?.status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(meta?.body.id).toBe('env-app');
      const lock = await postJson(`http://127.0.0.1:${port}/v1.0-alpha1/lock/lockstore`, {
        resourceId: 'r',
        lockOwner: 'o',
        expiryInSeconds: 5,
      });
      expect(lock.body.success).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('on SIGTERM ends waits with 503, finishes in-flight work, and exits 0', async () => {
    const server = await spawnServer({ dataDir: join(dir, 'graceful') });
    const lease = async () =>
      (await postJson(`${server.url}/v1/lockstore/leases`, { ttlMs: 60_000 })).body.id as string;
    const holder = await lease();
    await postJson(`${server.url}/v1/lockstore/locks/acquire`, { name: 'g', leaseId: holder });
    const waiting = postJson(`${server.url}/v1/lockstore/locks/acquire`, {
      name: 'g',
      leaseId: await lease(),
      waitMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 100));
    const exit = server.stop('SIGTERM');
    const answer = await waiting;
    expect(answer).toMatchObject({ status: 503, body: { errorCode: 'UNAVAILABLE' } });
    expect(await exit).toBe(0);
    // The held lock survived the graceful stop.
    const again = await spawnServer({ dataDir: join(dir, 'graceful') });
    try {
      expect((await getJson(`${again.url}/v1/lockstore/locks?name=g`)).body).toMatchObject({
        held: true,
        leaseId: holder,
      });
    } finally {
      await again.stop();
    }
  });

  it('refuses to start on a bad component file, naming the file and the field', async () => {
    const components = join(dir, 'bad-components');
    mkdirSync(components, { recursive: true });
    writeFileSync(
      join(components, 'lock.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: lockstore\nspec:\n  type: lock.nosuch\n  version: v1\n',
    );
    const result = await runMain([
      '--port',
      '0',
      '--components-path',
      components,
      '--data-dir',
      join(dir, 'bad'),
    ]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('lock.yaml');
    expect(result.output).toContain('spec.type');
  });

  it('refuses a non-loopback host without TLS or tokens unless --insecure', async () => {
    const result = await runMain(['--host', '0.0.0.0', '--port', '0', '--data-dir', join(dir, 'open')]);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/--host: refusing to listen on 0\.0\.0\.0 without TLS or API tokens/);
  });

  it('refuses a non-loopback host without TLS even with tokens set', async () => {
    const result = await runMain(['--host', '0.0.0.0', '--port', '0', '--data-dir', join(dir, 'open')], {
      LEASEHOLD_API_TOKEN: 'secret',
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/--host: refusing to listen on 0\.0\.0\.0 without TLS; set --tls-cert/);
  });

  it('refuses to start on a bad TLS file with one line naming the flag and the file', async () => {
    const cert = join(dir, 'not-a-cert.pem');
    writeFileSync(cert, 'garbage\n');
    const result = await runMain([
      '--port',
      '0',
      '--data-dir',
      join(dir, 'bad-tls'),
      '--tls-cert',
      cert,
      '--tls-key',
      join(dir, 'missing.key'),
    ]);
    expect(result.code).toBe(1);
    const fatal = result.output.split('\n').find((line) => line.includes('failed to start'));
    expect(fatal).toContain(`--tls-key ${join(dir, 'missing.key')}: cannot read`);
  });

  it('prints usage for --help and names a bad flag', async () => {
    expect((await runMain(['--help'])).output).toContain('--components-path');
    const bad = await runMain(['--port', 'eighty']);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--port: must be an integer');
  });
});
