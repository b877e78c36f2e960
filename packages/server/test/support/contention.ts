import { postJson } from './server-process.js';
import type { ServerProcess } from './server-process.js';
import { grantLease } from './handoff.js';

interface Hold {
  readonly lock: string;
  readonly token: number;
  readonly enter: number;
  readonly exit: number;
}

/**
 * `clients` clients spread round-robin over `servers` each make `perClient` blocking acquisitions of
 * `locks` hot locks, hold briefly, and release. Returns the recorded history and how many times a
 * client found someone else inside the same lock (must be 0).
 */
export async function contend(
  servers: readonly ServerProcess[],
  options: { clients: number; perClient: number; locks: number },
): Promise<{ history: Hold[]; overlaps: number; failures: string[] }> {
  const history: Hold[] = [];
  const failures: string[] = [];
  const inside = new Map<string, number>();
  let overlaps = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, c) => {
      const server = servers[c % servers.length]!;
      const leaseId = await grantLease(server, 10_000);
      // A real client keeps its lease alive for as long as it works, however long that is.
      const keepAlive = setInterval(() => {
        void postJson(`${server.url}/v1/lockstore/leases/${leaseId}/keepalive`, {}).catch(() => undefined);
      }, 2_000);
      try {
        await work(server, leaseId, c);
      } finally {
        clearInterval(keepAlive);
      }
    }),
  );
  return { history, overlaps, failures };

  async function work(server: ServerProcess, leaseId: string, c: number): Promise<void> {
    for (let i = 0; i < options.perClient; i++) {
      const name = `hot/${(c + i) % options.locks}`;
      const res = await postJson(`${server.url}/v1/lockstore/locks/acquire`, {
        name,
        leaseId,
        waitMs: 30_000,
      });
      if (!res.body?.acquired) {
        failures.push(`${res.status} ${JSON.stringify(res.body)}`);
        continue;
      }
      const enter = performance.now();
      inside.set(name, (inside.get(name) ?? 0) + 1);
      if (inside.get(name)! > 1) overlaps++;
      await new Promise((r) => setImmediate(r));
      inside.set(name, inside.get(name)! - 1);
      history.push({ lock: name, token: res.body.fencingToken as number, enter, exit: performance.now() });
      await postJson(`${server.url}/v1/lockstore/locks/release`, { name, leaseId });
    }
  }
}

/** Per lock, in token order: tokens strictly rise and each hold ends before the next begins. */
export function checkHistory(history: readonly Hold[]): string[] {
  const problems: string[] = [];
  const byLock = new Map<string, Hold[]>();
  for (const hold of history) byLock.set(hold.lock, [...(byLock.get(hold.lock) ?? []), hold]);
  for (const [lock, holds] of byLock) {
    holds.sort((x, y) => x.token - y.token);
    for (let i = 1; i < holds.length; i++) {
      if (holds[i]!.token <= holds[i - 1]!.token) problems.push(`${lock}: token ${holds[i]!.token} repeated`);
      if (holds[i]!.enter < holds[i - 1]!.exit)
        problems.push(`${lock}: token ${holds[i]!.token} entered before ${holds[i - 1]!.token} left`);
    }
  }
  return problems;
}
