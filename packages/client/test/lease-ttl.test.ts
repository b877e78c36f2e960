import { describe, expect, it } from 'vitest';
import { useSetup } from './support/setups.js';

describe.each(['stream', 'http', 'inProcess'] as const)('leases.timeToLive over %s', (name) => {
  const client = useSetup(name);

  it("answers a live lease's TTL and what is left of it", async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    const ttl = await c.leases.timeToLive(lease.id);
    expect(ttl).toMatchObject({ id: lease.id, live: true, ttlMs: 5_000 });
    const remainingMs = ttl.live ? ttl.remainingMs : -1;
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(5_000);
    await lease.revoke();
  });

  it('answers live: false, not an error, for a revoked or unknown lease', async () => {
    const c = client();
    const lease = await c.leases.grant({ ttlMs: 5_000 });
    await lease.revoke();
    expect(await c.leases.timeToLive(lease.id)).toEqual({ id: lease.id, live: false });
    expect(await c.leases.timeToLive('no-such-lease')).toEqual({ id: 'no-such-lease', live: false });
  });
});
