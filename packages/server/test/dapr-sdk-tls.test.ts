/**
 * The official Dapr JS SDK, unchanged, against a Leasehold process serving TLS, over HTTPS and
 * gRPC-TLS. The SDK has no CA option; it trusts the test CA through NODE_EXTRA_CA_CERTS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, writeTlsFiles } from './support/certs.js';
import type { TlsFiles } from './support/certs.js';
import { REPO_ROOT, spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';

const CHILD = fileURLToPath(new URL('./fixtures/dapr-sdk-tls-child.ts', import.meta.url));
const TOKEN = 'tls-token';

function runSdk(
  protocol: 'HTTP' | 'GRPC',
  port: number,
  ca: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CHILD, protocol, String(port), TOKEN],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: ca },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // Without a trusted CA the SDK keeps waiting for its "sidecar"; a few seconds say enough.
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('official @dapr/dapr SDK over TLS', () => {
  let dir: string;
  let files: TlsFiles;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-dapr-tls-'));
    const pki = await makePki();
    files = writeTlsFiles(dir, pki.server, pki.ca);
    server = await spawnServer({
      dataDir: dir,
      args: ['--tls-cert', files.cert, '--tls-key', files.key],
      env: { LEASEHOLD_API_TOKEN: TOKEN },
      ca: pki.ca.cert,
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['HTTP', () => server.port],
    ['GRPC', () => server.grpcPort],
  ] as const)('locks and unlocks over %s with TLS', async (protocol, port) => {
    const result = await runSdk(protocol, port(), files.ca);
    expect(result.code, result.out).toBe(0);
    expect(JSON.parse(/^RESULT (.*)$/m.exec(result.out)?.[1] ?? 'null')).toEqual({
      id: 'leasehold',
      first: { success: true },
      second: { success: false },
      unlock: { status: 0 },
    });
  });

  it('fails over TLS without the CA, so the CA is what made it work', async () => {
    const result = await runSdk('HTTP', server.port, join(dir, 'no-such-ca.crt'));
    expect(result.code).not.toBe(0);
    expect(result.out).not.toContain('RESULT');
  });
});
