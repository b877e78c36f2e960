import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { daprOf, LeaseholdError } from '@leasehold/core';
import { describeWithBackend } from '../../../test/support/backends.js';
import { grantedToken as token, useRedlock } from '../../../test/support/redlock-harness.js';

async function code(operation: Promise<unknown>): Promise<string> {
  try {
    await operation;
    return 'resolved';
  } catch (error) {
    return error instanceof LeaseholdError ? error.code : String(error);
  }
}

describeWithBackend('redis-server', 'lock.redis Redlock when masters fail', (binary) => {
  const redlock = useRedlock(binary, { readtimeout: '300ms', dialtimeout: '300ms' });

  const healthy = async () => {
    const deadline = Date.now() + 5_000;
    while (!(await redlock.store.ping().catch(() => false))) {
      if (Date.now() > deadline) throw new Error('store did not recover');
      await new Promise((r) => setTimeout(r, 20));
    }
    // ping needs a majority; wait for every master so the next step starts from all three.
    for (const s of redlock.servers) {
      const raw = new Redis({ host: '127.0.0.1', port: s.port, lazyConnect: true });
      await raw.connect();
      raw.disconnect();
    }
    await new Promise((r) => setTimeout(r, 600)); // the store's reconnect back-off is at most 500 ms
    console.log('statuses', redlock.store.masterStatuses());
  };

  it('keeps working with one master of three down', async () => {
    const a = (await redlock.store.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    const first = token(await redlock.store.locks.acquire({ app: 'test', key: 'one-down', leaseId: a }));
    await redlock.servers[0]!.stop('SIGKILL');
    const b = (await redlock.store.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
    expect((await redlock.store.locks.acquire({ app: 'test', key: 'one-down', leaseId: b })).acquired).toBe(
      false,
    );
    const waiting = redlock.store.locks.acquire({ app: 'test', key: 'one-down', leaseId: b, waitMs: 2_000 });
    expect(await redlock.store.leases.keepAlive(a, 'test')).toBeDefined();
    expect(await redlock.store.locks.release('one-down', a, 'test')).toBe('released');
    const second = token(await waiting);
    expect(second).toBeGreaterThan(first);
    expect(await redlock.store.locks.check('one-down', second)).toBe(true);
    await redlock.store.kv.put({
      app: 'test',
      key: 'kv',
      value: 'v',
      fence: { key: 'one-down', token: second },
    });
    expect((await redlock.store.kv.get('kv'))?.value).toBe('v');
    expect(await redlock.store.leases.revoke(b, 'test')).toBe(true);
    await redlock.servers[0]!.restart();
    await healthy();
  });

  it('reads usage from a majority, taking the highest count, while masters fail and come back empty', async () => {
    const app = 'quota';
    const usage = () => redlock.store.usage({ app, scope: 'quota||', kvKey: 'kv||quota||k' });
    const id = (await redlock.store.leases.grant({ app, ttlMs: 30_000 })).id;
    token(await redlock.store.locks.acquire({ app, key: 'lock||quota||a', leaseId: id }));
    await redlock.store.kv.put({ app, key: 'kv||quota||k', value: 'abc', leaseId: id });
    await redlock.servers[1]!.stop('SIGKILL');
    const held = { leases: 1, locks: 1, keys: 1, keyBytes: 3, kvKeyBytes: 3 };
    expect(await usage()).toMatchObject(held);
    token(await daprOf(redlock.store).tryLock('lock||quota||d', 'o', 30_000, app));
    expect(await usage()).toMatchObject({ ...held, leases: 2, locks: 2 });
    await redlock.servers[1]!.restart(); // without persistence: it comes back empty and counts nothing
    await healthy();
    await redlock.servers[0]!.stop('SIGKILL'); // the majority left: the empty master and one that counts all
    const left = await usage();
    expect(left).toMatchObject({ leases: 2, locks: 2, keys: 1, keyBytes: 3 });
    // The key itself is on one master of the two, so, as for get, it reads as absent.
    expect([left.kvKeyBytes, await redlock.store.kv.get('kv||quota||k')]).toEqual([undefined, undefined]);
    await redlock.servers[0]!.restart();
    await healthy();
    expect(await redlock.store.leases.revoke(id, app)).toBe(true);
    expect(await daprOf(redlock.store).unlock('lock||quota||d', 'o', app)).toBe(0);
    expect(await usage()).toMatchObject({ leases: 0, locks: 0, keys: 0, keyBytes: 0 });
  });

  it('with two of three down, fails cleanly with STORE_ERROR and never grants', async () => {
    const leases = await Promise.all(
      [1, 2, 3].map(async () => (await redlock.store.leases.grant({ app: 'test', ttlMs: 30_000 })).id),
    );
    const holder = leases[0]!;
    token(await redlock.store.locks.acquire({ app: 'test', key: 'held', leaseId: holder }));
    await redlock.servers[0]!.stop('SIGKILL');
    await redlock.servers[1]!.stop('SIGKILL');
    const started = performance.now();
    const attempts = await Promise.all([
      code(redlock.store.locks.acquire({ app: 'test', key: 'contended', leaseId: leases[1]! })),
      code(redlock.store.locks.acquire({ app: 'test', key: 'contended', leaseId: leases[2]! })),
      code(redlock.store.locks.acquire({ app: 'test', key: 'contended', leaseId: leases[1]!, waitMs: 300 })),
      code(daprOf(redlock.store).tryLock('contended', 'dapr-owner', 30_000, 'test')),
      code(redlock.store.leases.grant({ app: 'test', ttlMs: 30_000 })),
      code(redlock.store.locks.describe('held')),
    ]);
    expect(attempts).toEqual(Array(6).fill('STORE_ERROR'));
    expect(performance.now() - started).toBeLessThan(1_500);
    // The surviving master was granted nothing that stayed: every partial grant was undone.
    const survivor = new Redis({ host: '127.0.0.1', port: redlock.servers[2]!.port });
    try {
      expect(await survivor.get('contended')).toBeNull();
      expect(await survivor.get('held')).toBe(`leasehold:lease:${holder}`);
    } finally {
      survivor.disconnect();
    }
    // A release without a majority fails too (it may have applied where it could: retry it).
    expect(await code(redlock.store.locks.release('held', holder, 'test'))).toBe('STORE_ERROR');
    await redlock.servers[0]!.restart();
    await redlock.servers[1]!.restart();
    await healthy();
  });

  it('fencing tokens keep rising while the majority that grants them changes', async () => {
    const tokens: number[] = [];
    for (const down of [0, 1, 2, undefined]) {
      if (down !== undefined) await redlock.servers[down]!.stop('SIGKILL');
      for (let i = 0; i < 3; i++) {
        const id = (await redlock.store.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
        tokens.push(token(await redlock.store.locks.acquire({ app: 'test', key: 'rising', leaseId: id })));
        expect(await redlock.store.leases.revoke(id, 'test')).toBe(true);
      }
      // A master that comes back empty (no persistence) rejoins; tokens must still rise.
      if (down !== undefined) {
        await redlock.servers[down]!.restart();
        await healthy();
      }
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    console.log(`Redlock tokens across changing majorities: ${tokens.join(' < ')}`);
  });
});
