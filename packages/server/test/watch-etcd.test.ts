import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { describeWithBackend } from './support/backends.js';
import { useEtcdServer } from './support/etcd-server.js';
import { openSse, until } from './support/sse-reader.js';

interface Put {
  readonly startedAt: number;
  readonly revision: number;
}

describeWithBackend(
  'etcd',
  'watch on lock.etcd: no window after `: watching`, compaction explicit',
  (binary) => {
    const backend = useEtcdServer(binary);

    const put = async (key: string): Promise<Put> => {
      const startedAt = performance.now();
      const res = await fetch(`${backend.server.url}/v1/lockstore/kv`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key, value: 'x' }),
      });
      return { startedAt, revision: ((await res.json()) as { revision: number }).revision };
    };

    it('a fresh watch opened during a storm of puts misses none issued after `: watching`', async () => {
      const puts: Put[] = [];
      let storming = true;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; storming; i++) puts.push(await put(`s/${w}/${i}`));
      });
      const watches = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const watch = await openSse(`${backend.server.url}/v1/lockstore/watch?prefix=s/`);
        watches.push({ watch, liveAt: await watch.live });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      storming = false;
      await Promise.all(writers);
      for (const { watch, liveAt } of watches) {
        const expected = puts.filter((p) => p.startedAt > liveAt).map((p) => p.revision);
        await until(() => expected.every((revision) => watch.events.some((e) => e.id === revision)));
        watch.close();
      }
    }, 60_000);

    it('a compaction past a resume ends the watch with event: error and the oldest revision', async () => {
      const before = await put('c/a');
      await put('c/b');
      const last = await put('c/c');
      const etcd = new Etcd3({ hosts: backend.cluster.endpoints.split(',') });
      try {
        await etcd.kv.compact({ revision: String(last.revision), physical: true });
      } finally {
        etcd.close();
      }
      const watch = await openSse(`${backend.server.url}/v1/lockstore/watch?prefix=c/`, {
        'last-event-id': String(before.revision),
      });
      const ended = await watch.ended;
      expect(watch.events).toEqual([]);
      expect(ended?.data).toMatchObject({ errorCode: 'WATCH_COMPACTED', oldestRevision: last.revision });
    });
  },
);
