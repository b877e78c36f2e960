import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makePki, writeTlsFiles } from '../../server/test/support/certs.js';
import type { TestPki } from '../../server/test/support/certs.js';
import { ConnectionError, LeaseholdClient } from '../src/index.js';
import type { WatchEvent } from '../src/index.js';
import type { TestServer } from './support/test-server.js';
import { startTestServer } from './support/test-server.js';

const TRANSPORTS = ['stream', 'http'] as const;

async function nextEvent(client: LeaseholdClient, prefix: string, act: () => Promise<unknown>) {
  const seen = new Promise<WatchEvent>((resolve) => {
    const stop = client.watch(prefix, (event) => {
      stop();
      resolve(event);
    });
  });
  await new Promise((r) => setTimeout(r, 100));
  await act();
  return seen;
}

describe('the SDK over HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-sdk-tls-'));
  let pki: TestPki;
  let server: TestServer;
  let mutual: TestServer;
  beforeAll(async () => {
    pki = await makePki();
    const files = writeTlsFiles(dir, pki.server, pki.ca);
    server = await startTestServer({ tls: { cert: files.cert, key: files.key } });
    mutual = await startTestServer({ tls: files });
  });
  afterAll(async () => {
    await Promise.all([server?.close(), mutual?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(TRANSPORTS)('calls and watches over %s with the CA given as `ca`', async (transport) => {
    expect(server.httpUrl).toMatch(/^https:\/\//);
    const client = new LeaseholdClient({ url: server.httpUrl, transport, ca: pki.ca.cert });
    try {
      const event = await nextEvent(client, `tls-${transport}/`, () =>
        client.kv.put(`tls-${transport}/a`, 'v'),
      );
      expect(event).toMatchObject({ type: 'put', key: `tls-${transport}/a` });
      expect(await client.counters.add(`tls-${transport}`, 2)).toBe(2);
    } finally {
      await client.close();
    }
  });

  it.each(TRANSPORTS)('refuses a server its CA did not sign (%s)', async (transport) => {
    const stranger = await makeCa('someone else');
    const client = new LeaseholdClient({ url: server.httpUrl, transport, ca: stranger.cert });
    try {
      await expect(client.counters.get('c')).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await client.close();
    }
  });

  it.each(TRANSPORTS)('presents a client certificate for mutual TLS (%s)', async (transport) => {
    const client = new LeaseholdClient({
      url: mutual.httpUrl,
      transport,
      ca: pki.ca.cert,
      cert: pki.client.cert,
      key: pki.client.key,
    });
    try {
      expect(await client.counters.add(`mtls-${transport}`, 1)).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('wants an https:// url with a CA', () => {
    expect(() => new LeaseholdClient({ url: 'http://127.0.0.1:1', ca: 'x' })).toThrow(/https:\/\//);
  });
});
