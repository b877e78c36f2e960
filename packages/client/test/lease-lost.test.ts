import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseLostError, LeaseholdClient } from '../src/index.js';
import type { TcpProxy } from './support/tcp-proxy.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import type { TestServer } from './support/test-server.js';
import { startTestServer } from './support/test-server.js';

/**
 * A holder whose keep-alives stall (its network freezes; its process runs on) must see its
 * signal aborted with LeaseLostError before the server can give the lock to anybody else.
 */
describe.each(['stream', 'http'] as const)('a holder whose keep-alives stall (%s)', (transport) => {
  let server: TestServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = await startTcpProxy(transport === 'stream' ? server.streamPort : server.httpPort);
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('learns it lost the lease before anyone else is granted the lock', async () => {
    const holder = new LeaseholdClient({ url: proxy.url, transport });
    const contender = new LeaseholdClient({
      url: transport === 'stream' ? server.streamUrl : server.httpUrl,
      transport,
    });
    const ttlMs = 1_000;
    const lease = await holder.leases.grant({ ttlMs });
    const lock = await holder.locks.acquire('lock:stall', { lease });
    expect(lock.acquired).toBe(true);

    const lost = new Promise<{ at: number; reason: unknown }>((resolve) =>
      lease.signal.addEventListener('abort', () =>
        resolve({ at: performance.now(), reason: lease.signal.reason }),
      ),
    );
    const contenderLease = await contender.leases.grant({ ttlMs: 10_000 });
    // Let a keep-alive or two go through, then stall the holder's network.
    await new Promise((r) => setTimeout(r, 500));
    proxy.freeze();
    const frozenAt = performance.now();
    const granted = contender.locks
      .acquire('lock:stall', { lease: contenderLease, waitMs: 10_000 })
      .then((handle) => ({ at: performance.now(), handle }));

    const [loss, grant] = await Promise.all([lost, granted]);
    expect(loss.reason).toBeInstanceOf(LeaseLostError);
    expect(grant.handle.acquired).toBe(true);
    expect(grant.handle.fencingToken).toBeGreaterThan(lock.fencingToken!);
    const marginMs = grant.at - loss.at;
    console.log(
      `[${transport}] ttl ${ttlMs} ms: signal aborted ${Math.round(loss.at - frozenAt)} ms after the stall, ` +
        `lock granted to the contender ${Math.round(grant.at - frozenAt)} ms after; margin ${marginMs.toFixed(1)} ms`,
    );
    expect(marginMs).toBeGreaterThan(0);

    proxy.thaw();
    await contenderLease.revoke();
    await Promise.all([holder.close(), contender.close()]);
  });
});
