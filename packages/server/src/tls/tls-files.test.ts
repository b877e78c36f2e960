import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue, makePki, writeTlsFiles } from '../../test/support/certs.js';
import type { TestPki, TlsFiles } from '../../test/support/certs.js';
import { readTlsFiles } from './tls-files.js';

describe('readTlsFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-tls-files-'));
  let pki: TestPki;
  let files: TlsFiles;
  beforeAll(async () => {
    pki = await makePki();
    files = writeTlsFiles(dir, pki.server, pki.ca);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads a matching cert and key, with or without a client CA', () => {
    const plain = readTlsFiles({ tlsCert: files.cert, tlsKey: files.key });
    expect(plain.ca).toBeUndefined();
    expect(plain.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(readTlsFiles({ tlsCert: files.cert, tlsKey: files.key, tlsCa: files.ca }).ca).toBeDefined();
  });

  it('names the flag and the file of a missing file', () => {
    const missing = join(dir, 'nope.crt');
    expect(() => readTlsFiles({ tlsCert: missing, tlsKey: files.key })).toThrow(
      `--tls-cert ${missing}: cannot read`,
    );
    expect(() => readTlsFiles({ tlsCert: files.cert, tlsKey: files.key, tlsCa: missing })).toThrow(
      `--tls-ca ${missing}: cannot read`,
    );
  });

  it('names the flag of a file that is not PEM', () => {
    const junk = file('junk.pem', 'not a certificate\n');
    expect(() => readTlsFiles({ tlsCert: junk, tlsKey: files.key })).toThrow(
      `--tls-cert ${junk}: not a PEM certificate`,
    );
    expect(() => readTlsFiles({ tlsCert: files.cert, tlsKey: junk })).toThrow(
      `--tls-key ${junk}: not a PEM private key`,
    );
    expect(() => readTlsFiles({ tlsCert: files.cert, tlsKey: files.key, tlsCa: junk })).toThrow(
      `--tls-ca ${junk}: not a PEM certificate`,
    );
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const other = file('other.key', (await issue(pki.ca, 'server')).key);
    expect(() => readTlsFiles({ tlsCert: files.cert, tlsKey: other })).toThrow(
      `--tls-key ${other}: does not match --tls-cert ${files.cert}`,
    );
  });

  it('wants both the cert and the key', () => {
    expect(() => readTlsFiles({ tlsKey: files.key })).toThrow('--tls-cert: required with TLS');
    expect(() => readTlsFiles({ tlsCert: files.cert })).toThrow('--tls-key: required with TLS');
  });
});
