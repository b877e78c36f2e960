import assert from 'node:assert/strict';
import type { Store } from '@leasehold/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { etcdRevisionOf } from './etcd-position.js';
import { createEtcdStore } from './index.js';

describeWithBackend('etcd', 'lock.etcd fencing tokens when grants share a revision', (binary) => {
  let cluster: EtcdCluster;
  let store: Store;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
    store = await createEtcdStore('lockstore', new Map([['endpoints', cluster.endpoints]]));
  });

  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  /** Grants `count` locks `prefix<i>`, each to its own lease, all asked for in one turn. */
  const grantTogether = async (prefix: string, count: number) => {
    const leases = await Promise.all(
      Array.from({ length: count }, () => store.leases.grant({ ttlMs: 30_000, app: 'test' })),
    );
    const results = await Promise.all(
      leases.map((lease, i) => store.locks.acquire({ key: `${prefix}${i}`, leaseId: lease.id, app: 'test' })),
    );
    return results.map((result, i) => {
      assert.ok(result.acquired);
      return { key: `${prefix}${i}`, token: result.fencingToken, leaseId: leases[i]!.id };
    });
  };

  it('grants committed in one revision get distinct tokens, each its own lock', async () => {
    const grants = await grantTogether('t/', 40);
    const revisions = grants.map((grant) => etcdRevisionOf(grant.token));
    expect(new Set(revisions).size, 'some grants shared a revision').toBeLessThan(grants.length);
    expect(new Set(grants.map((grant) => grant.token)).size).toBe(grants.length);
    for (const grant of grants) {
      expect(await store.locks.check(grant.key, grant.token)).toBe(true);
      expect((await store.locks.describe(grant.key)).fencingToken).toBe(grant.token);
    }
    // A token of another grant of the same revision is not this lock's, neither for check nor a fence.
    const [first, second] = grants.filter((grant) => etcdRevisionOf(grant.token) === revisions[0]);
    assert.ok(first && second);
    expect(await store.locks.check(first.key, second.token)).toBe(false);
    const put = store.kv!.put({
      app: 'test',
      key: 'fenced',
      value: 'x',
      fence: { key: first.key, token: second.token },
    });
    await expect(put).rejects.toMatchObject({ code: 'FENCED' });
    await store.kv!.put({
      app: 'test',
      key: 'fenced',
      value: 'x',
      fence: { key: first.key, token: first.token },
    });
  });

  it('tokens keep rising across batches and a re-grant of one lock', async () => {
    const before = await grantTogether('r/', 10);
    const max = Math.max(...before.map((grant) => grant.token));
    for (const grant of before) await store.locks.release(grant.key, grant.leaseId, 'test');
    const after = await grantTogether('r/', 10);
    expect(Math.min(...after.map((grant) => grant.token))).toBeGreaterThan(max);
  });
});
