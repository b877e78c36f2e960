import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, postJson, spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-kill9-'));
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Grant {
  name: string;
  owner: string;
  leaseId: string;
  token: number;
}

async function grantAndAcquire(url: string, name: string, owner: string): Promise<Grant> {
  const lease = await postJson(`${url}/v1/lockstore/leases`, { ttlMs: 120_000, owner });
  expect(lease.status).toBe(200);
  const acquired = await postJson(`${url}/v1/lockstore/locks/acquire`, { name, leaseId: lease.body.id });
  expect(acquired.body.acquired).toBe(true);
  return { name, owner, leaseId: lease.body.id, token: acquired.body.fencingToken };
}

describe('kill -9 of the embedded store', () => {
  it('keeps every acknowledged grant and release, and fencing tokens keep rising', async () => {
    server = await spawnServer({ dataDir: dir });
    const url = server.url;
    const held = await Promise.all(
      Array.from({ length: 100 }, (_, i) => grantAndAcquire(url, `held/${i}`, `owner-${i}`)),
    );
    const released = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const grant = await grantAndAcquire(url, `released/${i}`, `gone-${i}`);
        const res = await postJson(`${url}/v1/lockstore/locks/release`, {
          name: grant.name,
          leaseId: grant.leaseId,
        });
        expect(res.body.status).toBe('released');
        return grant;
      }),
    );
    // Every reply above was acknowledged; now the process dies without a chance to flush.
    expect(await server.stop('SIGKILL')).toBe('SIGKILL');

    server = await spawnServer({ dataDir: dir });
    const again = server.url;
    for (const grant of held) {
      const info = await getJson(`${again}/v1/lockstore/locks?name=${encodeURIComponent(grant.name)}`);
      expect(info.body).toMatchObject({
        held: true,
        leaseId: grant.leaseId,
        owner: grant.owner,
        fencingToken: grant.token,
      });
    }
    for (const grant of released) {
      const info = await getJson(`${again}/v1/lockstore/locks?name=${encodeURIComponent(grant.name)}`);
      expect(info.body.held).toBe(false);
    }
    const maxBefore = Math.max(...held.map((g) => g.token), ...released.map((g) => g.token));
    for (const grant of [...held, ...released]) {
      await fetch(`${again}/v1/lockstore/leases/${grant.leaseId}`, { method: 'DELETE' });
      const next = await grantAndAcquire(again, grant.name, 'after-restart');
      expect(next.token).toBeGreaterThan(grant.token);
      expect(next.token).toBeGreaterThan(maxBefore);
    }
  });
});
