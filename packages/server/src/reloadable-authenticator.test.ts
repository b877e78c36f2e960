import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReloadableAuthenticator } from './reloadable-authenticator.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-reload-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tokenFile(text: string): string {
  const path = join(dir, `tokens-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('ReloadableAuthenticator', () => {
  it('swaps the whole token set on reload: removed tokens fail at once, new ones work', () => {
    const path = tokenFile('- {token: t1, appId: orders}\n- {token: ops, appId: ops, role: admin}\n');
    const auth = new ReloadableAuthenticator({ appId: 'main', apiTokenFile: path });
    expect(auth.authenticate('t1')).toEqual({ appId: 'orders', role: 'app' });
    writeFileSync(path, '- {token: t2, appId: orders}\n- {token: ops, appId: ops, role: admin}\n');
    auth.reload();
    expect(auth.authenticate('t1')).toBeUndefined();
    expect(auth.authenticate('t2')).toEqual({ appId: 'orders', role: 'app' });
    expect(auth.authenticate('ops')).toEqual({ appId: 'ops', role: 'admin' });
  });

  it('revokes the sessions of removed or reassigned tokens, and only those', () => {
    const path = tokenFile(
      '- {token: a, appId: one}\n- {token: b, appId: two}\n- {token: c, appId: three}\n',
    );
    const auth = new ReloadableAuthenticator({ appId: 'main', apiTokenFile: path });
    const [a, b, c] = ['a', 'b', 'c'].map((t) => auth.track(t, auth.authenticate(t)!));
    const ended = auth.track('c', auth.authenticate('c')!);
    ended.end();
    writeFileSync(path, '- {token: b, appId: two}\n- {token: c, appId: other}\n');
    expect(auth.reload()).toEqual({ revokedSessions: 2 });
    expect([a!.revoked.aborted, b!.revoked.aborted, c!.revoked.aborted]).toEqual([true, false, true]);
    expect(ended.revoked.aborted).toBe(false);
  });

  it('keeps the old tokens when the new file is broken, and says why', () => {
    const path = tokenFile('- {token: t1, appId: orders}\n');
    const auth = new ReloadableAuthenticator({ appId: 'main', apiTokenFile: path });
    const session = auth.track('t1', auth.authenticate('t1')!);
    writeFileSync(path, '- {token: t2}\n');
    expect(() => auth.reload()).toThrow(/entry 0: appId must be/);
    expect(auth.authenticate('t1')).toEqual({ appId: 'orders', role: 'app' });
    expect(session.revoked.aborted).toBe(false);
  });

  it('never turns authentication off on reload', () => {
    const path = tokenFile('- {token: t1, appId: orders}\n');
    const auth = new ReloadableAuthenticator({ appId: 'main', apiTokenFile: path });
    writeFileSync(path, '[]\n');
    expect(() => auth.reload()).toThrow(/cannot turn authentication off/);
    expect(auth.authenticate('t1')).toBeDefined();
    expect(auth.authenticate(undefined)).toBeUndefined();
  });

  it('keeps the env token across reloads of the file', () => {
    const path = tokenFile('- {token: t1, appId: orders}\n');
    const auth = new ReloadableAuthenticator({ appId: 'main', apiToken: 'env', apiTokenFile: path });
    writeFileSync(path, '- {token: t2, appId: orders}\n');
    auth.reload();
    expect(auth.authenticate('env')).toEqual({ appId: 'main', role: 'app' });
  });
});
