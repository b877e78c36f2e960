import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** A PEM certificate and its private key. */
export interface Pem {
  readonly cert: string;
  readonly key: string;
}

/** A test CA with a server certificate for 127.0.0.1/localhost and a client certificate. */
export interface TestPki {
  readonly ca: Pem;
  readonly server: Pem;
  readonly client: Pem;
}

const EC = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

/** A fresh CA; every call makes a different one. */
export async function makeCa(name = 'Leasehold test CA'): Promise<Pem> {
  const made = await generate([{ name: 'commonName', value: name }], {
    ...EC,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: made.cert, key: made.private };
}

/** A leaf certificate signed by `ca`: for 127.0.0.1 and localhost (server), or a client. */
export async function issue(ca: Pem, role: 'server' | 'client', name = role): Promise<Pem> {
  const made = await generate([{ name: 'commonName', value: role === 'server' ? '127.0.0.1' : name }], {
    ...EC,
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      role === 'server'
        ? { name: 'extKeyUsage', serverAuth: true }
        : { name: 'extKeyUsage', clientAuth: true },
      ...(role === 'server'
        ? [
            {
              name: 'subjectAltName' as const,
              altNames: [
                { type: 2 as const, value: 'localhost' },
                { type: 7 as const, ip: '127.0.0.1' },
              ],
            },
          ]
        : []),
    ],
  });
  return { cert: made.cert, key: made.private };
}

/** A CA with one server and one client certificate. */
export async function makePki(): Promise<TestPki> {
  const ca = await makeCa();
  return { ca, server: await issue(ca, 'server'), client: await issue(ca, 'client') };
}

/** Where `writeTlsFiles` put the server's files. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Writes the server cert and key and the CA into `dir` (overwriting: a rotation). */
export function writeTlsFiles(dir: string, server: Pem, ca: Pem): TlsFiles {
  const files = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') };
  writeFileSync(files.cert, server.cert);
  writeFileSync(files.key, server.key);
  writeFileSync(files.ca, ca.cert);
  return files;
}
