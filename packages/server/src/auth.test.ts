import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, parseTokenList, tokenFromEnv } from './auth.js';
import { parseSettings } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tokenFile(text: string): string {
  const path = join(dir, `tokens-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('tokenFromEnv', () => {
  it('reads LEASEHOLD_API_TOKEN, else Dapr’s DAPR_API_TOKEN', () => {
    expect(tokenFromEnv({ LEASEHOLD_API_TOKEN: 'l' })).toBe('l');
    expect(tokenFromEnv({ DAPR_API_TOKEN: 'd' })).toBe('d');
    expect(tokenFromEnv({ LEASEHOLD_API_TOKEN: 'l', DAPR_API_TOKEN: 'd' })).toBe('l');
    expect(tokenFromEnv({ LEASEHOLD_API_TOKEN: '', DAPR_API_TOKEN: 'd' })).toBe('d');
  });

  it('treats unset and empty as no token', () => {
    expect(tokenFromEnv({})).toBeUndefined();
    expect(tokenFromEnv({ LEASEHOLD_API_TOKEN: '', DAPR_API_TOKEN: '' })).toBeUndefined();
  });

  it('is what the server settings take from the environment', () => {
    expect(parseSettings([], { DAPR_API_TOKEN: 'd' }).settings.apiToken).toBe('d');
    expect(parseSettings([], {}).settings.apiToken).toBeUndefined();
  });
});

describe('createAuthenticator', () => {
  it('with no token configured, lets everyone in as the server app', () => {
    const auth = createAuthenticator({ appId: 'orders' });
    expect(auth.enabled).toBe(false);
    expect(auth.authenticate(undefined)).toEqual({ appId: 'orders', role: 'admin' });
    expect(auth.authenticate('anything')).toEqual({ appId: 'orders', role: 'admin' });
  });

  it('maps the single token to the server app id with role app', () => {
    const auth = createAuthenticator({ appId: 'orders', apiToken: 's3cret' });
    expect(auth.enabled).toBe(true);
    expect(auth.authenticate('s3cret')).toEqual({ appId: 'orders', role: 'app' });
  });

  it('refuses a missing, empty, wrong, prefixed or extended token', () => {
    const auth = createAuthenticator({ appId: 'orders', apiToken: 's3cret' });
    for (const token of [undefined, '', 'wrong', 's3cre', 's3cret ', 'S3CRET', 's3cret-and-more']) {
      expect(auth.authenticate(token)).toBeUndefined();
    }
  });

  it('does not read the environment itself: config does', () => {
    vi.stubEnv('LEASEHOLD_API_TOKEN', 'from-env');
    vi.stubEnv('DAPR_API_TOKEN', 'from-env');
    try {
      expect(createAuthenticator({ appId: 'a' }).enabled).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('reads a token file of apps and admins, alongside the single token', () => {
    const path = tokenFile(
      ['- token: t-orders', '  appId: orders', '- token: t-ops', '  appId: ops', '  role: admin'].join('\n'),
    );
    const auth = createAuthenticator({ appId: 'main', apiTokenFile: path, apiToken: 't-main' });
    expect(auth.authenticate('t-orders')).toEqual({ appId: 'orders', role: 'app' });
    expect(auth.authenticate('t-ops')).toEqual({ appId: 'ops', role: 'admin' });
    expect(auth.authenticate('t-main')).toEqual({ appId: 'main', role: 'app' });
    expect(auth.authenticate('t-other')).toBeUndefined();
  });

  it('stops start-up on a bad token file, naming the file and the entry', () => {
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: join(dir, 'missing.yaml') })).toThrow(
      /missing\.yaml/,
    );
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: tokenFile('token: x') })).toThrow(
      /must be a YAML list/,
    );
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: tokenFile('- [x]: : :') })).toThrow(
      /api token file/,
    );
  });

  it('refuses the same token for two different apps', () => {
    const path = tokenFile('- {token: same, appId: a}\n- {token: same, appId: b}\n');
    expect(() => createAuthenticator({ appId: 'a', apiTokenFile: path })).toThrow(/twice/);
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
