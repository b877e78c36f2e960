/**
 * HTTPS and gRPC over TLS from certificate files, mutual TLS with --tls-ca, and reload() swapping
 * the certificate for new connections while a broken file keeps the old one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { issue, makePki, writeTlsFiles } from './support/certs.js';
import type { TestPki, TlsFiles } from './support/certs.js';
import { connectRpc } from './support/grpc-client.js';
import { httpsGet } from './support/server-process.js';
import { peerFingerprint } from './support/tls-probe.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(name: string, options: { mutual?: boolean } = {}): Promise<{ files: TlsFiles }> {
  const folder = mkdtempSync(join(dir, `${name}-`));
  const files = writeTlsFiles(folder, pki.server, pki.ca);
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    grpcPort: 0,
    dataDir: folder,
    componentsPath: join(folder, 'components'),
    logLevel: 'silent',
    tlsCert: files.cert,
    tlsKey: files.key,
    ...(options.mutual ? { tlsCa: files.ca } : {}),
  });
  return { files };
}

function grpcFailure(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as ServiceError,
  );
}

describe('TLS', () => {
  it('serves HTTPS and gRPC over TLS with the configured certificate, and no clear text', async () => {
    await start('plain');
    const running = server!;
    expect(running.url).toBe(`https://127.0.0.1:${running.httpPort}`);
    expect((await httpsGet(`${running.url}/v1.0/metadata`, { ca: pki.ca.cert })).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${running.httpPort}/healthz`)).rejects.toThrow();

    const rpc = await connectRpc(running.grpcPort, credentials.createSsl(Buffer.from(pki.ca.cert)));
    expect(await rpc.call('GetMetadata', {})).toMatchObject({ id: 'leasehold' });
    rpc.close();
    const clear = await connectRpc(running.grpcPort);
    expect((await grpcFailure(clear.call('GetMetadata', {}))).code).toBe(status.UNAVAILABLE);
    clear.close();

    const fingerprint = running.tlsFingerprint256();
    expect(await peerFingerprint(running.httpPort, pki.ca.cert)).toBe(fingerprint);
    expect(await peerFingerprint(running.grpcPort, pki.ca.cert)).toBe(fingerprint);
  });

  it('with --tls-ca, wants a client certificate signed by that CA on both ports', async () => {
    await start('mutual', { mutual: true });
    const running = server!;
    const client = { cert: pki.client.cert, key: pki.client.key };
    await expect(httpsGet(`${running.url}/healthz`, { ca: pki.ca.cert })).rejects.toThrow();
    expect((await httpsGet(`${running.url}/healthz`, { ca: pki.ca.cert, ...client })).status).toBe(200);

    const ca = Buffer.from(pki.ca.cert);
    const anonymous = await connectRpc(running.grpcPort, credentials.createSsl(ca));
    expect((await grpcFailure(anonymous.call('GetMetadata', {}))).code).toBe(status.UNAVAILABLE);
    anonymous.close();
    const signed = await connectRpc(
      running.grpcPort,
      credentials.createSsl(ca, Buffer.from(client.key), Buffer.from(client.cert)),
    );
    expect(await signed.call('GetMetadata', {})).toMatchObject({ id: 'leasehold' });
    signed.close();
  });

  it('reload() serves rotated files to new connections; a broken file keeps the old certificate', async () => {
    const { files } = await start('rotate');
    const running = server!;
    const before = running.tlsFingerprint256();
    const rotated = await issue(pki.ca, 'server');
    writeFileSync(files.cert, rotated.cert);
    writeFileSync(files.key, rotated.key);
    expect(running.reload()).toEqual({ tokens: 'none', tls: 'reloaded', errors: [] });
    const after = running.tlsFingerprint256();
    expect(after).not.toBe(before);
    expect(await peerFingerprint(running.httpPort, pki.ca.cert)).toBe(after);
    expect(await peerFingerprint(running.grpcPort, pki.ca.cert)).toBe(after);

    writeFileSync(files.key, 'broken\n');
    const report = running.reload();
    expect(report).toMatchObject({
      tls: 'kept',
      errors: [expect.stringContaining(`--tls-key ${files.key}: not a PEM private key`)],
    });
    expect(await peerFingerprint(running.httpPort, pki.ca.cert)).toBe(after);
    expect(await peerFingerprint(running.grpcPort, pki.ca.cert)).toBe(after);
    const rpc = await connectRpc(running.grpcPort, credentials.createSsl(Buffer.from(pki.ca.cert)));
    expect(await rpc.call('GetMetadata', {})).toMatchObject({ id: 'leasehold' });
    rpc.close();
  });
});
