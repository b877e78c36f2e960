import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { describeLockScript, releaseScript } from '../redis/lock-scripts.js';
import { storePrefix } from '../redis/replies.js';
import { grantedToken as token, useRedlock } from '../../../test/support/redlock-harness.js';

/**
 * Well under the masters' command timeout (3 s, the default): an op that waited for the hung
 * master would take at least that. A correctness bound, not a benchmark.
 */
const BOUND_MS = 1_500;

/** Runs `call` and returns its result with how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}

describeWithBackend('redis-server', 'lock.redis Redlock with one master hung (SIGSTOP)', (binary) => {
  const redlock = useRedlock(binary);
  const app = 'test';

  /** Runs `body` with master `index` stopped, and lets it go on (and answer) afterwards. */
  async function whileHung(index: number, body: () => Promise<void>): Promise<void> {
    redlock.servers[index]!.signal('SIGSTOP');
    try {
      await body();
    } finally {
      redlock.servers[index]!.signal('SIGCONT');
    }
  }

  it('settles each op once a majority decides, without waiting for the hung master', async () => {
    // Every op has run on every master before one hangs: until a script has answered on all of
    // them, an op waits for all (its first run may be re-sent after loading it; see Masters.race).
    const warm = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    const warmed = token(await redlock.store.locks.acquire({ app, key: 'warm', leaseId: warm }));
    await redlock.store.leases.keepAlive(warm, app);
    await redlock.store.locks.describe('warm');
    await redlock.store.locks.check('warm', warmed);
    expect(await redlock.store.locks.release('warm', warm, app)).toBe('released');
    await whileHung(0, async () => {
      const grant = await timed(() => redlock.store.leases.grant({ app, ttlMs: 30_000 }));
      const id = grant.value.id;
      const acquire = await timed(() => redlock.store.locks.acquire({ app, key: 'hung', leaseId: id }));
      const renew = await timed(() => redlock.store.leases.keepAlive(id, app));
      const describe = await timed(() => redlock.store.locks.describe('hung'));
      const check = await timed(() => redlock.store.locks.check('hung', token(acquire.value)));
      const release = await timed(() => redlock.store.locks.release('hung', id, app));
      expect(renew.value?.ttlMs).toBe(30_000);
      expect(describe.value).toMatchObject({ held: true, leaseId: id, fencingToken: token(acquire.value) });
      expect([check.value, release.value]).toEqual([true, 'released']);
      const times = [grant, acquire, renew, describe, check, release].map((t) => Math.round(t.ms));
      expect(
        times.every((ms) => ms < BOUND_MS),
        `grant…release took ${times.join(', ')} ms`,
      ).toBe(true);
    });
    expect(await redlock.store.leases.revoke(warm, app)).toBe(true);
  });

  it('a grant decided without a master is stamped there when its late answer comes in', async () => {
    const a = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    // Master 0 issues tokens well above the others', so its own token for the late grant differs.
    const raw = new Redis({ host: '127.0.0.1', port: redlock.servers[0]!.port });
    await raw.incrby(`${storePrefix('lockstore')}rev`, 1_000);
    raw.disconnect();
    let granted = 0;
    await whileHung(0, async () => {
      granted = token(await redlock.store.locks.acquire({ app, key: 'late', leaseId: a }));
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // its late answer, then the stamp
    // Read from masters 0 and 2: the late master agrees on the holder and carries the grant's token
    // (unstamped, it would carry its own, higher one).
    await whileHung(1, async () => {
      expect(await redlock.store.locks.describe('late')).toMatchObject({
        held: true,
        leaseId: a,
        fencingToken: granted,
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await redlock.store.leases.revoke(a, app)).toBe(true);
  });

  it('a grant refused by a majority is undone on a master that granted it late', async () => {
    const a = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    const b = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    token(await redlock.store.locks.acquire({ app, key: 'refused', leaseId: b }));
    // The lock is free on master 0 only, so there alone the next acquire succeeds.
    const raw = new Redis({ host: '127.0.0.1', port: redlock.servers[0]!.port });
    const prefix = storePrefix('lockstore');
    try {
      expect(await releaseScript.run(raw, prefix, ['refused', b, ''])).toEqual(['released', app]);
      await whileHung(0, async () => {
        const refused = await redlock.store.locks.acquire({ app, key: 'refused', leaseId: a });
        expect(refused).toMatchObject({ acquired: false, holder: { leaseId: b } });
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // its late grant, then the undo
      const there = JSON.parse(String(await describeLockScript.run(raw, prefix, ['refused'])));
      expect(there).toMatchObject({ held: false });
    } finally {
      raw.disconnect();
    }
    await Promise.all([a, b].map((id) => redlock.store.leases.revoke(id, app)));
  });

  it('a fenced put that one master refuses and another applies is a store error, not FENCED', async () => {
    const a = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    const granted = token(await redlock.store.locks.acquire({ app, key: 'split', leaseId: a }));
    // Master 0 loses the grant (as a master that missed it while down), master 2 hangs: the two that
    // answer disagree, so neither "applied" nor "stale token" speaks for the store.
    const raw = new Redis({ host: '127.0.0.1', port: redlock.servers[0]!.port });
    try {
      await releaseScript.run(raw, storePrefix('lockstore'), ['split', a, '']);
    } finally {
      raw.disconnect();
    }
    await whileHung(2, async () => {
      const put = redlock.store.kv.put({
        app,
        key: 'split-k',
        value: 'v',
        fence: { key: 'split', token: granted },
      });
      await expect(put).rejects.toMatchObject({ code: 'STORE_ERROR', message: /masters disagreed/ });
    });
    await redlock.store.leases.revoke(a, app);
  });

  it('a keep-alive that one master cannot find and another renews is a store error, not a lost lease', async () => {
    const a = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    // Master 0 loses the lease (as a master that missed its grant while down), master 2 hangs.
    const raw = new Redis({ host: '127.0.0.1', port: redlock.servers[0]!.port });
    try {
      await raw.del(`${storePrefix('lockstore')}lease:${a}`);
    } finally {
      raw.disconnect();
    }
    await whileHung(2, async () => {
      await expect(redlock.store.leases.keepAlive(a, app)).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: /masters disagreed/,
      });
    });
    // With every master answering, the two that hold it are a majority: renewed.
    expect((await redlock.store.leases.keepAlive(a, app))?.ttlMs).toBe(30_000);
    await redlock.store.leases.revoke(a, app);
  });

  it('a describe the answering masters disagree on is a store error, not "free"', async () => {
    const a = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    token(await redlock.store.locks.acquire({ app, key: 'torn', leaseId: a }));
    // Master 0 loses the grant (as one that missed it while down), master 2 hangs.
    const raw = new Redis({ host: '127.0.0.1', port: redlock.servers[0]!.port });
    try {
      await releaseScript.run(raw, storePrefix('lockstore'), ['torn', a, '']);
    } finally {
      raw.disconnect();
    }
    await whileHung(2, async () => {
      await expect(redlock.store.locks.describe('torn')).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: /disagree/,
      });
    });
    expect(await redlock.store.locks.describe('torn')).toMatchObject({ held: true, leaseId: a });
    await redlock.store.leases.revoke(a, app);
  });
});
