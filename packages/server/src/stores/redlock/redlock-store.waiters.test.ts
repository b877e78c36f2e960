import { expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { grantedToken as token, useRedlock } from '../../../test/support/redlock-harness.js';

const LEASE_TTL_MS = 30_000;
const WAIT_MS = 5_000;

/** What an acquire brings besides its lease: the arguments each retry must keep. */
interface Waiter {
  readonly app: string;
  readonly maxHoldMs?: number;
}

describeWithBackend('redis-server', 'lock.redis Redlock waiters queued on one server', (binary) => {
  const redlock = useRedlock(binary);
  const lease = async (app: string) => (await redlock.store.leases.grant({ app, ttlMs: LEASE_TTL_MS })).id;
  const queued = async (key: string, count: number) => {
    const deadline = Date.now() + 2_000;
    while ((await redlock.store.locks.describe(key)).waiters < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} waiters queued on ${key}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  /** A holder, then `first` queued, then `second` queued behind it; `second`'s lease and grant. */
  async function queueTwo(key: string, first: Waiter, second: Waiter) {
    const holder = await lease('holder');
    token(await redlock.store.locks.acquire({ app: 'holder', key, leaseId: holder }));
    const [firstId, secondId] = [await lease(first.app), await lease(second.app)];
    const firstGrant = redlock.store.locks.acquire({ ...first, key, leaseId: firstId, waitMs: WAIT_MS });
    await queued(key, 1);
    const secondGrant = redlock.store.locks.acquire({ ...second, key, leaseId: secondId, waitMs: WAIT_MS });
    await queued(key, 2);
    expect(await redlock.store.locks.release(key, holder, 'holder')).toBe('released');
    token(await firstGrant);
    expect(await redlock.store.locks.release(key, firstId, first.app)).toBe('released');
    return { secondId, second: await secondGrant };
  }

  it('each waiter retries as its own app, not as the head waiter that started the queue', async () => {
    const { secondId, second } = await queueTwo('apps', { app: 'orders' }, { app: 'billing' });
    token(second);
    expect((await redlock.store.locks.describe('apps')).leaseId).toBe(secondId);
  });

  it("each waiter retries with its own maxHoldMs, not the head waiter's", async () => {
    const { second } = await queueTwo('holds', { app: 'orders' }, { app: 'orders', maxHoldMs: 400 });
    token(second);
    const held = await redlock.store.locks.describe('holds');
    expect(held.held).toBe(true);
    expect(held.expiresInMs).toBeLessThanOrEqual(400);
  });
});
