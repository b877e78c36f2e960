import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthenticator, parseTokenList, tokenFromEnv } from './auth.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tokenFile(text: string): string {
  const path = join(dir, `tokens-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('createAuthenticator', () => {
  it('with no token configured, lets everyone in as the server app', () => {
    const auth = createAuthenticator({ appId: 'orders' }, {});
    expect(auth.enabled).toBe(false);
    expect(auth.authenticate(undefined)).toEqual({ appId: 'orders', role: 'admin' });
    expect(auth.authenticate('anything')).toEqual({ appId: 'orders', role: 'admin' });
  });

  it('maps LEASEHOLD_API_TOKEN to the server app id with role app', () => {
    const auth = createAuthenticator({ appId: 'orders' }, { LEASEHOLD_API_TOKEN: 's3cret' });
    expect(auth.enabled).toBe(true);
    expect(auth.authenticate('s3cret')).toEqual({ appId: 'orders', role: 'app' });
  });

  it('refuses a missing, empty, wrong, prefixed or extended token', () => {
    const auth = createAuthenticator({ appId: 'orders' }, { LEASEHOLD_API_TOKEN: 's3cret' });
    for (const token of [undefined, '', 'wrong', 's3cre', 's3cret ', 'S3CRET', 's3cret-and-more']) {
      expect(auth.authenticate(token)).toBeUndefined();
    }
  });

  it('accepts Dapr’s DAPR_API_TOKEN when LEASEHOLD_API_TOKEN is unset, and prefers LEASEHOLD_API_TOKEN', () => {
    expect(createAuthenticator({ appId: 'a' }, { DAPR_API_TOKEN: 'd' }).authenticate('d')).toBeDefined();
    const both = createAuthenticator({ appId: 'a' }, { LEASEHOLD_API_TOKEN: 'l', DAPR_API_TOKEN: 'd' });
    expect(both.authenticate('l')).toBeDefined();
    expect(both.authenticate('d')).toBeUndefined();
    expect(tokenFromEnv({ LEASEHOLD_API_TOKEN: '' })).toBeUndefined();
  });

  it('prefers the apiToken setting over the environment', () => {
    const auth = createAuthenticator({ appId: 'a', apiToken: 'flag' }, { LEASEHOLD_API_TOKEN: 'env' });
    expect(auth.authenticate('flag')).toEqual({ appId: 'a', role: 'app' });
    expect(auth.authenticate('env')).toBeUndefined();
  });

  it('reads a token file of apps and admins, alongside the single token', () => {
    const path = tokenFile(
      ['- token: t-orders', '  appId: orders', '- token: t-ops', '  appId: ops', '  role: admin'].join('\n'),
    );
    const auth = createAuthenticator(
      { appId: 'main', apiTokenFile: path },
      { LEASEHOLD_API_TOKEN: 't-main' },
    );
    expect(auth.authenticate('t-orders')).toEqual({ appId: 'orders', role: 'app' });
    expect(auth.authenticate('t-ops')).toEqual({ appId: 'ops', role: 'admin' });
    expect(auth.authenticate('t-main')).toEqual({ appId: 'main', role: 'app' });
    expect(auth.authenticate('t-other')).toBeUndefined();
  });

  it('stops start-up on a bad token file, naming the file and the entry', () => {
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: join(dir, 'missing.yaml') }, {})).toThrow(
      /missing\.yaml/,
    );
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: tokenFile('token: x') }, {})).toThrow(
      /must be a YAML list/,
    );
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: tokenFile('- [x]: : :') }, {})).toThrow(
      /api token file/,
    );
  });

  it('refuses the same token for two different apps', () => {
    const path = tokenFile('- {token: same, appId: a}\n- {token: same, appId: b}\n');
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: path }, {})).toThrow(/twice/);
  });
});

describe('parseTokenList', () => {
  it.each([
    [[{ appId: 'a' }], /entry 0: token/],
    [[{ token: 't' }], /entry 0: appId/],
    [[{ token: 't', appId: 'a||b' }], /appId/],
    [[{ token: 't', appId: 'a', role: 'root' }], /entry 0: role/],
    [['t'], /entry 0: must be a mapping/],
  ])('rejects %j', (document, message) => {
    expect(() => parseTokenList(document, 'f.yaml')).toThrow(message);
  });
});
