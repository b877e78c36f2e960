import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { checkHistory, contend } from './support/contention.js';
import { crossServerHandoff, grantLease } from './support/handoff.js';
import { dataDirWithComponent } from './support/components.js';
import { EtcdCluster } from './support/etcd-harness.js';
import { getJson, postJson, spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';

describeWithBackend('etcd', 'two Leasehold servers on one 3-member etcd cluster', (binary) => {
  let cluster: EtcdCluster;
  let a: ServerProcess;
  let b: ServerProcess;
  const dirs: string[] = [];

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 3);
    const start = () => {
      const dir = dataDirWithComponent('lock.etcd', { endpoints: cluster.endpoints });
      dirs.push(dir);
      return spawnServer({ dataDir: dir, args: ['--app-id', 'billing'] });
    };
    [a, b] = await Promise.all([start(), start()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cluster?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a waiter on server A is granted a lock released through server B within 50 ms', async () => {
    const { acquired, latencyMs } = await crossServerHandoff(b, a, 'handoff');
    console.log(`etcd cross-server hand-off: ${latencyMs.toFixed(1)} ms from release request to grant reply`);
    expect(acquired).toBe(true);
    expect(latencyMs).toBeLessThan(50);
  });

  it('10,000 acquisitions by clients spread over both servers never overlap (tokens and history)', async () => {
    const started = performance.now();
    const { history, overlaps, failures } = await contend([a, b], { clients: 16, perClient: 625, locks: 4 });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `etcd, two servers: ${history.length} acquisitions in ${seconds.toFixed(1)} s, ${overlaps} overlaps`,
    );
    expect(failures).toEqual([]);
    expect(history).toHaveLength(10_000);
    expect(overlaps).toBe(0);
    expect(checkHistory(history)).toEqual([]);
  }, 240_000);

  it('killing the etcd leader mid-run loses no granted lock, and tokens keep rising', async () => {
    const holders = await Promise.all(
      [a, b, a].map(async (server, i) => {
        const leaseId = await grantLease(server, 5_000);
        const res = await postJson(`${server.url}/v1/lockstore/locks/acquire`, {
          name: `kept/${i}`,
          leaseId,
        });
        expect(res.body.acquired).toBe(true);
        return { server, leaseId, name: `kept/${i}`, token: res.body.fencingToken as number };
      }),
    );
    let keepAlives = true;
    const keeping = Promise.all(
      holders.map(async (h) => {
        while (keepAlives) {
          await postJson(`${h.server.url}/v1/lockstore/leases/${h.leaseId}/keepalive`, {}).catch(
            () => undefined,
          );
          await new Promise((r) => setTimeout(r, 500));
        }
      }),
    );
    const maxBefore = Math.max(...holders.map((h) => h.token));
    await cluster.kill(await cluster.leader());
    // Work through the election: retry store errors, record every grant.
    const tokens: number[] = [];
    const churn = await grantLease(a);
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      const res = await postJson(`${a.url}/v1/lockstore/locks/acquire`, {
        name: 'churn',
        leaseId: churn,
        waitMs: 2_000,
      });
      if (res.status !== 200 || !res.body.acquired) continue;
      tokens.push(res.body.fencingToken as number);
      await postJson(`${a.url}/v1/lockstore/locks/release`, { name: 'churn', leaseId: churn });
    }
    keepAlives = false;
    await keeping;
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens[0]).toBeGreaterThan(maxBefore);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    for (const h of holders) {
      const info = await getJson(`${b.url}/v1/lockstore/locks?name=${h.name}`);
      expect(info.body).toMatchObject({ held: true, leaseId: h.leaseId, fencingToken: h.token });
    }
    console.log(`etcd leader kill: ${tokens.length} grants after the kill, holders kept their locks`);
  }, 60_000);
});
