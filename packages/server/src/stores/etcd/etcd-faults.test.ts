import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { Store } from '@leasehold/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { createEtcdStore } from './index.js';

const HOLDERS = 3;
const WORKERS = 6;
const BUSY_LOCKS = 2;
const LEASE_TTL_MS = 3_000;
const KEEP_ALIVE_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Grant {
  readonly key: string;
  readonly token: number;
  readonly atMs: number;
}

describeWithBackend('etcd', 'lock.etcd when the etcd leader is killed', (binary) => {
  let cluster: EtcdCluster;
  let a: Store;
  let b: Store;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary);
    const metadata = new Map([
      ['endpoints', cluster.endpoints],
      ['timeoutms', '3000'],
    ]);
    [a, b] = [await createEtcdStore('lockstore', metadata), await createEtcdStore('lockstore', metadata)];
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await cluster?.stop();
  });

  it('kill -9 of the leader loses no held lock, tokens keep rising and service resumes', async () => {
    let running = true;
    const storeOf = (i: number): Store => (i % 2 === 0 ? a : b);
    // Holders: one lock each, kept alive through the election (failed keep-alives are retried).
    const holders = await Promise.all(
      Array.from({ length: HOLDERS }, async (_, i) => {
        const store = storeOf(i);
        const leaseId = (await store.leases.grant({ app: 'test', ttlMs: LEASE_TTL_MS, owner: `holder-${i}` }))
          .id;
        const result = await store.locks.acquire({ app: 'test', key: `held/${i}`, leaseId });
        assert.ok(result.acquired);
        return { store, leaseId, key: `held/${i}`, token: result.fencingToken, keepAlives: 0, lost: false };
      }),
    );
    const keepers = holders.map(async (h) => {
      while (running) {
        await sleep(KEEP_ALIVE_MS);
        const info = await h.store.leases.keepAlive(h.leaseId, 'test').catch(() => null);
        if (info) h.keepAlives++;
        else if (info === undefined) h.lost = true;
      }
    });
    // Workers: contend on a few locks throughout, recording grants and tolerating store errors.
    const grants: Grant[] = [];
    const inside = new Set<string>();
    let overlaps = 0;
    let errors = 0;
    const workers = Array.from({ length: WORKERS }, async (_, i) => {
      const store = storeOf(i);
      const leaseId = (await store.leases.grant({ app: 'test', ttlMs: 30_000 })).id;
      while (running) {
        const key = `busy/${i % BUSY_LOCKS}`;
        try {
          const result = await store.locks.acquire({ app: 'test', key, leaseId, waitMs: 10_000 });
          if (!result.acquired) continue;
          if (inside.has(key)) overlaps++;
          inside.add(key);
          grants.push({ key, token: result.fencingToken, atMs: performance.now() });
          await sleep(2);
          inside.delete(key);
        } catch {
          errors++;
        }
        // A lost answer may hide a grant: releasing is idempotent, so always release.
        await store.locks.release(key, leaseId, 'test').catch(() => errors++);
      }
    });

    await sleep(1_500);
    const leader = await cluster.leader();
    const killedAt = performance.now();
    const tokenAtKill = Math.max(0, ...grants.map((g) => g.token));
    await cluster.kill(leader);
    let newLeader = -1;
    while (newLeader < 0 || newLeader === leader) {
      newLeader = await cluster.leader().catch(() => -1);
      if (newLeader < 0) await sleep(50);
    }
    const electedMs = performance.now() - killedAt;
    await sleep(4_000);
    running = false;
    await Promise.all([...keepers, ...workers]);

    const after = grants.filter((g) => g.atMs > killedAt);
    console.log(
      `lock.etcd leader kill: new leader seen after ${electedMs.toFixed(0)} ms; ${grants.length} grants ` +
        `(${after.length} after the kill), ${errors} transient errors, ${overlaps} overlaps; holders kept alive ` +
        `${holders.map((h) => h.keepAlives).join('/')} times`,
    );
    for (const h of holders) {
      const info = await h.store.locks.describe(h.key);
      expect(h.lost).toBe(false);
      expect(info.leaseId).toBe(h.leaseId);
      expect(info.fencingToken).toBe(h.token);
    }
    expect(overlaps).toBe(0);
    expect(after.length).toBeGreaterThan(10);
    expect(Math.min(...after.map((g) => g.token))).toBeGreaterThan(tokenAtKill);
    for (let k = 0; k < BUSY_LOCKS; k++) {
      const tokens = grants.filter((g) => g.key === `busy/${k}`).map((g) => g.token);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    }

    // The killed member rejoins, and the cluster still serves.
    await cluster.restart(leader);
    const lease = (await a.leases.grant({ app: 'test', ttlMs: 5_000 })).id;
    const last = await a.locks.acquire({ app: 'test', key: 'after-restart', leaseId: lease });
    assert.ok(last.acquired);
    expect(last.fencingToken).toBeGreaterThan(Math.max(...grants.map((g) => g.token)));
  }, 60_000);
});
