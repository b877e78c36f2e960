import { getJson, postJson } from './server-process.js';
import type { ServerProcess } from './server-process.js';

/** A lease of `ttlMs` granted through `server`. */
export async function grantLease(server: ServerProcess, ttlMs = 30_000): Promise<string> {
  return (await postJson(`${server.url}/v1/lockstore/leases`, { ttlMs })).body.id as string;
}

/**
 * `holderServer` takes lock `name`, a waiter queues through `waiterServer`, and the holder releases:
 * returns whether the waiter got the lock and the time from the release request to the grant reply.
 */
export async function crossServerHandoff(
  holderServer: ServerProcess,
  waiterServer: ServerProcess,
  name: string,
): Promise<{ acquired: boolean; latencyMs: number }> {
  const holder = await grantLease(holderServer);
  const taken = await postJson(`${holderServer.url}/v1/lockstore/locks/acquire`, { name, leaseId: holder });
  if (!taken.body.acquired) throw new Error(`${name} was not free`);
  let grantedAt = 0;
  const waiting = postJson(`${waiterServer.url}/v1/lockstore/locks/acquire`, {
    name,
    leaseId: await grantLease(waiterServer),
    waitMs: 10_000,
  }).then((res) => {
    grantedAt = performance.now();
    return res;
  });
  const describe = `${holderServer.url}/v1/lockstore/locks?name=${encodeURIComponent(name)}`;
  for (let i = 0; i < 300 && (await getJson(describe)).body.waiters !== 1; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const releasedAt = performance.now();
  const released = await postJson(`${holderServer.url}/v1/lockstore/locks/release`, {
    name,
    leaseId: holder,
  });
  if (released.body.status !== 'released')
    throw new Error(`release answered ${JSON.stringify(released.body)}`);
  const granted = await waiting;
  return { acquired: granted.body.acquired === true, latencyMs: grantedAt - releasedAt };
}
