import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { etcdRevisionOf } from '../src/stores/etcd/etcd-position.js';
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
        // Revisions on etcd are positions: etcd's own revision is the upper bits.
        await etcd.kv.compact({ revision: String(etcdRevisionOf(last.revision)), physical: true });
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

    it('a resume in the middle of a revision that several writes share goes on right after the last event', async () => {
      const keys = Array.from({ length: 24 }, (_, i) => `m/${i}`);
      for (const key of keys) await put(key);
      const start = await put('m/start');
      const url = `${backend.server.url}/v1/lockstore/watch?prefix=m/`;
      const whole = await openSse(url, { 'last-event-id': String(start.revision) });
      await whole.live;
      // Deletes arriving together are committed together: several share one etcd revision.
      const remove = (key: string) =>
        fetch(`${backend.server.url}/v1/lockstore/kv?key=${encodeURIComponent(key)}`, { method: 'DELETE' });
      await Promise.all(keys.map(remove));
      await until(() => whole.events.length === keys.length);
      whole.close();
      const ids = whole.events.map((e) => e.id!);
      const shared = ids.filter((id, i) => i > 0 && etcdRevisionOf(id) === etcdRevisionOf(ids[i - 1]!));
      expect(shared.length, 'some deletes were committed in one revision').toBeGreaterThan(0);
      for (let i = 0; i < ids.length - 1; i++) {
        if (etcdRevisionOf(ids[i]!) !== etcdRevisionOf(ids[i + 1]!)) continue;
        // Dropped right after event i, the first of several in its revision: resume from its id.
        const resumed = await openSse(url, { 'last-event-id': String(ids[i]) });
        const rest = whole.events.slice(i + 1);
        await until(() => resumed.events.length >= rest.length);
        await new Promise((resolve) => setTimeout(resolve, 100));
        resumed.close();
        expect(resumed.events.map((e) => [e.id, e.data.key])).toEqual(rest.map((e) => [e.id, e.data.key]));
      }
    }, 30_000);
  },
);
