/**
 * SIGHUP on a real server process: a rotated token file takes effect at once and closes the
 * removed token's client stream and watch; a broken file keeps the tokens in force and says why;
 * rotated certificate files are what new TLS connections see.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue, makePki, writeTlsFiles } from '../../server/test/support/certs.js';
import type { TestPki, TlsFiles } from '../../server/test/support/certs.js';
import { connectRpc } from '../../server/test/support/grpc-client.js';
import { httpsGet, spawnServer } from '../../server/test/support/server-process.js';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { peerFingerprint } from '../../server/test/support/tls-probe.js';
import { LeaseholdClient, UnauthorizedError } from '../src/index.js';

const T1 = 'token-one-0123456789';
const T2 = 'token-two-0123456789';

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SIGHUP reload of a running server', () => {
  let dir: string;
  let pki: TestPki;
  let files: TlsFiles;
  let tokens: string;
  let server: ServerProcess;
  const clients: LeaseholdClient[] = [];
  const client = (token: string, transport: 'stream' | 'http') => {
    const made = new LeaseholdClient({ url: server.url, token, transport, ca: pki.ca.cert });
    clients.push(made);
    return made;
  };
  const metadataStatus = async (token: string) =>
    (await httpsGet(`${server.url}/v1.0/metadata`, { ca: pki.ca.cert, headers: { 'dapr-api-token': token } }))
      .status;
  const grpcCode = async (token: string) => {
    const rpc = await connectRpc(server.grpcPort, credentials.createSsl(Buffer.from(pki.ca.cert)));
    try {
      await rpc.call('GetMetadata', {}, token);
      return status.OK;
    } catch (error) {
      return (error as ServiceError).code;
    } finally {
      rpc.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-sighup-'));
    pki = await makePki();
    files = writeTlsFiles(dir, pki.server, pki.ca);
    tokens = join(dir, 'tokens.yaml');
    writeFileSync(tokens, `- {token: ${T1}, appId: orders}\n`);
    server = await spawnServer({
      dataDir: dir,
      args: ['--api-token-file', tokens, '--tls-cert', files.cert, '--tls-key', files.key],
      ca: pki.ca.cert,
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops a removed token at once and closes its stream and watch; a broken file keeps the rest', async () => {
    const streaming = client(T1, 'stream');
    const disconnected = new Promise<void>((resolve) => streaming.once('disconnect', () => resolve()));
    expect(await streaming.counters.add('hup', 1)).toBe(1);
    const watcher = client(T1, 'http');
    const watched: string[] = [];
    const watchErrors: Error[] = [];
    watcher.watch('hup/', (event) => watched.push(event.key ?? ''), {
      onError: (error) => watchErrors.push(error),
    });
    await until(async () => {
      await streaming.kv.put('hup/opened', 'x');
      return watched.includes('hup/opened');
    }, 'the watch to open');
    expect(watchErrors).toEqual([]);

    writeFileSync(tokens, `- {token: ${T2}, appId: orders}\n`);
    server.child.kill('SIGHUP');
    await until(async () => (await metadataStatus(T1)) === 401, 'T1 to be refused');
    expect(await grpcCode(T1)).toBe(status.UNAUTHENTICATED);
    await disconnected;
    await until(() => watchErrors.some((e) => /401/.test(e.message)), 'the watch to be closed');
    await expect(streaming.counters.get('hup')).rejects.toBeInstanceOf(UnauthorizedError);
    expect(await client(T2, 'stream').counters.add('hup', 1)).toBe(2);
    expect(await grpcCode(T2)).toBe(status.OK);

    writeFileSync(tokens, '- {token: [not, a, string], appId: orders}\n');
    server.child.kill('SIGHUP');
    await until(() => /api token file not reloaded/.test(server.output()), 'the log line');
    expect(server.output()).toMatch(/entry 0: token must be a non-empty string/);
    expect(await metadataStatus(T2)).toBe(200);
    expect(await client(T2, 'http').counters.add('hup', 1)).toBe(3);
    expect(await metadataStatus(T1)).toBe(401);
  });

  it('serves rotated certificate files to new TLS connections, on HTTP and gRPC', async () => {
    const before = await peerFingerprint(server.port, pki.ca.cert);
    expect(await peerFingerprint(server.grpcPort, pki.ca.cert)).toBe(before);
    writeTlsFiles(dir, await issue(pki.ca, 'server'), pki.ca);
    server.child.kill('SIGHUP');
    let after = before;
    await until(async () => {
      after = await peerFingerprint(server.port, pki.ca.cert);
      return after !== before;
    }, 'the new certificate');
    expect(await peerFingerprint(server.grpcPort, pki.ca.cert)).toBe(after);
    expect(await client(T2, 'stream').counters.get('hup')).toBe(3);
  });
});
