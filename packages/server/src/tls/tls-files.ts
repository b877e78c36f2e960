import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ComponentError } from '../components.js';

/** Where the server's TLS files are; `ServerSettings` satisfies it. */
export interface TlsFileSettings {
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  /** When given, clients must present a certificate signed by this CA (mutual TLS). */
  readonly tlsCa?: string | undefined;
}

/** The certificate chain, key and client CA, read and checked together. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer | undefined;
  /** SHA-256 fingerprint of the leaf certificate, for logs. */
  readonly fingerprint256: string;
}

/** True when TLS is configured (both files are required; config checks that one is not given alone). */
export function tlsConfigured(settings: TlsFileSettings): boolean {
  return settings.tlsCert !== undefined || settings.tlsKey !== undefined;
}

function fail(flag: string, path: string, problem: string, cause?: unknown): never {
  throw new ComponentError(`--${flag} ${path}: ${problem}`, cause === undefined ? undefined : { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    return fail(flag, path, `cannot read: ${messageOf(error)}`, error);
  }
}

function certificate(flag: string, path: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    return fail(flag, path, `not a PEM certificate: ${messageOf(error)}`, error);
  }
}

/**
 * Reads the cert, key and optional CA files and checks that they make a working TLS context;
 * throws a ComponentError naming the flag and the file at fault, so a bad file never replaces a
 * good one on reload and never gets as far as a listening socket on start.
 */
export function readTlsFiles(settings: TlsFileSettings): TlsMaterial {
  const { tlsCert, tlsKey, tlsCa } = settings;
  if (tlsCert === undefined || tlsKey === undefined) {
    throw new ComponentError(`--${tlsCert === undefined ? 'tls-cert' : 'tls-key'}: required with TLS`);
  }
  const cert = read('tls-cert', tlsCert);
  const key = read('tls-key', tlsKey);
  const ca = tlsCa === undefined ? undefined : read('tls-ca', tlsCa);
  const leaf = certificate('tls-cert', tlsCert, cert);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    return fail('tls-key', tlsKey, `not a PEM private key: ${messageOf(error)}`, error);
  }
  if (!leaf.checkPrivateKey(privateKey)) fail('tls-key', tlsKey, `does not match --tls-cert ${tlsCert}`);
  if (ca !== undefined && tlsCa !== undefined) certificate('tls-ca', tlsCa, ca);
  try {
    createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
  } catch (error) {
    return fail('tls-cert', tlsCert, `unusable with --tls-key: ${messageOf(error)}`, error);
  }
  return { cert, key, ca, fingerprint256: leaf.fingerprint256 };
}
