import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdError } from '@leasehold/core';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/backends.js';
import { parseEtcdMetadata } from './etcd-metadata.js';
import { createEtcdStore } from './index.js';

const parse = (entries: Record<string, string>) =>
  parseEtcdMetadata('lockstore', new Map(Object.entries(entries)));

function problem(entries: Record<string, string>): string {
  try {
    parse(entries);
  } catch (error) {
    expect(error).toBeInstanceOf(LeaseholdError);
    expect((error as LeaseholdError).code).toBe('INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected the metadata to be refused');
}

describe('lock.etcd metadata', () => {
  it('reads endpoints as host:port, dropping URL schemes, with defaults for the rest', () => {
    const config = parse({ endpoints: 'http://10.0.0.1:2379, etcd-2:2379,https://[::1]:2379/' });
    expect(config.hosts).toEqual(['10.0.0.1:2379', 'etcd-2:2379', '[::1]:2379']);
    expect(config.namespace).toBe('leasehold/');
    expect(config.timeoutMs).toBe(5_000);
    expect(config.auth).toBeUndefined();
    expect(config.tls).toBeUndefined();
  });

  it('takes credentials, a namespace, a timeout and TLS files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-tls-'));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, name), `${name}\n`);
    const config = parse({
      endpoints: '127.0.0.1:2379',
      username: 'root',
      password: 'secret',
      namespace: 'team-a/',
      timeoutms: '1500',
      tlsca: join(dir, 'ca.pem'),
      tlscert: join(dir, 'cert.pem'),
      tlskey: join(dir, 'key.pem'),
      keyprefix: 'appid',
    });
    expect(config.auth).toEqual({ username: 'root', password: 'secret' });
    expect(config.namespace).toBe('team-a/');
    expect(config.timeoutMs).toBe(1_500);
    expect(config.tls?.ca.toString()).toBe('ca.pem\n');
    expect(config.tls?.key?.toString()).toBe('key.pem\n');
  });

  it('names the component and field of every problem', () => {
    expect(problem({})).toBe('component lockstore: metadata endpoints: required (comma list of host:port)');
    expect(problem({ endpoints: 'localhost' })).toMatch(
      /^component lockstore: metadata endpoints: "localhost"/,
    );
    expect(problem({ endpoints: 'a:99999' })).toMatch(/metadata endpoints:/);
    expect(problem({ endpoints: 'a:1', username: 'u' })).toMatch(
      /metadata password: username and password go together/,
    );
    expect(problem({ endpoints: 'a:1', timeoutms: 'soon' })).toMatch(/metadata timeoutMs:/);
    expect(problem({ endpoints: 'a:1', tlsca: '/no/such/file' })).toMatch(/metadata tlsCA: cannot read/);
    expect(problem({ endpoints: 'a:1', redishost: 'x' })).toMatch(/metadata redishost: unknown field/);
  });

  it('createEtcdStore rejects bad metadata instead of throwing', async () => {
    await expect(createEtcdStore('lockstore', new Map())).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('fails within its timeout, as STORE_ERROR, when no etcd answers', async () => {
    const port = await freePort();
    const store = await createEtcdStore(
      'lockstore',
      new Map([
        ['endpoints', `127.0.0.1:${port}`],
        ['timeoutms', '300'],
      ]),
    );
    const started = Date.now();
    await expect(store.leases.grant({ app: 'test', ttlMs: 5_000 })).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
    await expect(store.kv!.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    // A networked store's ping says which host did not answer (ADR 0009).
    await expect(store.ping()).rejects.toThrow(`cannot reach 127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(10_000);
    await store.close();
  });
});
