import { Etcd3 } from 'etcd3';
import type { ITxnRequest } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { request } from './etcd-connection.js';
import { TxnBatcher } from './txn-batcher.js';

describeWithBackend('etcd', 'group commit on etcd (TxnBatcher)', (binary) => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  let batcher: TxnBatcher;
  let sent: number;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
    client = new Etcd3({ hosts: cluster.endpoints.split(',').map((host) => `http://${host}`) });
    batcher = new TxnBatcher(
      (txn) => {
        sent++;
        return client.kv.txn(txn);
      },
      () => false,
    );
  });

  afterAll(async () => {
    client.close();
    await cluster.stop();
  });

  const put = (key: string, value: string): ITxnRequest => ({
    compare: [],
    success: [request.put(Buffer.from(key), value, undefined, true)],
    failure: [],
  });

  it('commits the writes of one turn on different keys as one proposal, each with its own answer', async () => {
    sent = 0;
    const answers = await Promise.all(
      ['a', 'b', 'c', 'd'].map((key) => batcher.submit(() => put(`turn/${key}`, key))),
    );
    expect(sent).toBe(1);
    expect(new Set(answers.map((answer) => answer.header.revision)).size).toBe(1);
    expect(answers.every((answer) => answer.succeeded && answer.responses.length === 1)).toBe(true);
    // Each has its own slot (a grant's token) and the place of its change within the shared revision.
    expect(answers.map((answer) => [answer.slot, answer.firstEvent])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const stored = await client.getAll().prefix('turn/').strings();
    expect(stored).toEqual({ 'turn/a': 'a', 'turn/b': 'b', 'turn/c': 'c', 'turn/d': 'd' });
  });

  it('commits two writes of one key in one turn one after the other, in arrival order', async () => {
    sent = 0;
    const [first, second] = await Promise.all([
      batcher.submit(() => put('same', 'first')),
      batcher.submit(() => put('same', 'second')),
    ]);
    expect(sent).toBe(2);
    expect(Number(second.header.revision)).toBeGreaterThan(Number(first.header.revision));
    expect(second.responses[0]?.response_put.prev_kv?.value.toString()).toBe('first');
    expect(await client.get('same').string()).toBe('second');
  });

  it('a compare of a key another member writes puts them in separate proposals', async () => {
    sent = 0;
    const guarded: ITxnRequest = {
      compare: [{ key: Buffer.from('flag'), target: 0, result: 0, version: 0 }],
      success: [request.put(Buffer.from('guarded'), 'yes')],
      failure: [],
    };
    const [, after] = await Promise.all([
      batcher.submit(() => put('flag', 'set')),
      batcher.submit(() => guarded),
    ]);
    expect(sent).toBe(2);
    // The compare saw the flag written before it, as if each had gone alone.
    expect(after.succeeded).toBe(false);
  });

  it('a batch etcd refuses sends each member alone, so only the bad one fails', async () => {
    sent = 0;
    const bad: ITxnRequest = { compare: [{ key: Buffer.alloc(0), target: 0, result: 0, version: 0 }] };
    const results = await Promise.allSettled([
      batcher.submit(() => put('alone/a', 'a')),
      batcher.submit(() => bad),
      batcher.submit(() => put('alone/b', 'b')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(sent).toBe(4);
    expect(await client.getAll().prefix('alone/').strings()).toEqual({ 'alone/a': 'a', 'alone/b': 'b' });
  });

  it('splits a turn wider than etcd allows (--max-txn-ops 128) into batches that each fit', async () => {
    sent = 0;
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => batcher.submit(() => put(`wide/${i}`, String(i)))),
    );
    expect(sent).toBeGreaterThanOrEqual(3);
    expect(answers.every((answer) => answer.succeeded && answer.slot < 128)).toBe(true);
    expect(Object.keys(await client.getAll().prefix('wide/').strings())).toHaveLength(300);
  });
});
