import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../packages/server/test/support/backends.js';
import { startBackend } from './backends.js';
import type { EtcdBackend } from './etcd-backend.js';
import { eventually, injectAndHeal, sleep, tempDir } from './nemesis-test-kit.js';

/** True when `/health` through `address` gives no healthy answer within 500 ms. */
async function unreachable(address: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${address}/health`, { signal: AbortSignal.timeout(500) });
    return ((await response.json()) as { health?: string }).health !== 'true';
  } catch {
    return true;
  }
}

function memberOf(description: string): number {
  return Number(/etcd-(\d)/.exec(description)?.[1]);
}

describeWithBackend('etcd', 'nemesis: etcd backends', () => {
  const dir = tempDir();
  const backends = new Map<string, EtcdBackend>();
  beforeAll(async () => {
    for (const cluster of [false, true]) {
      const backend = await startBackend('etcd', { dir: dir.path, cluster, seed: 5 });
      backends.set(cluster ? 'cluster' : 'single', backend as EtcdBackend);
    }
  });
  afterAll(async () => {
    await Promise.all([...backends.values()].map((b) => b.stop()));
    dir.remove();
  });

  it('offers the component and faults the brief names', () => {
    const single = backends.get('single')!;
    const cluster = backends.get('cluster')!;
    expect(single.component()).toEqual({
      type: 'lock.etcd',
      metadata: { endpoints: single.proxies[0]!.address },
    });
    expect(cluster.component().metadata.endpoints?.split(',')).toHaveLength(3);
    expect(single.faults().map((f) => f.kind)).toEqual([
      'kill etcd member',
      'sigstop etcd member',
      'reset etcd member proxy',
    ]);
    expect(cluster.faults().map((f) => f.kind)).toEqual([
      'kill etcd member',
      'kill etcd leader',
      'sigstop etcd member',
      'reset etcd member proxy',
    ]);
  });

  for (const shape of ['single', 'cluster']) {
    it(`${shape}: every acknowledged key survives every fault, and the client reconnects`, async () => {
      const backend = backends.get(shape)!;
      const client = new Etcd3({
        hosts: backend.proxies.map((p) => p.address),
        defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 2_000 }),
      });
      const written: string[] = [];
      const writeOne = async () => {
        const key = `nemesis/${shape}/${written.length}`;
        await eventually(async () => client.put(key).value(key).exec());
        written.push(key);
      };
      try {
        await writeOne();
        for (const fault of backend.faults()) {
          await injectAndHeal(fault, async (description) => {
            expect(await unreachable(backend.proxies[memberOf(description)]!.address)).toBe(true);
            await sleep(300);
          });
          const values = await eventually(() => Promise.all(written.map((key) => client.get(key).string())));
          expect(values).toEqual(written);
          await writeOne();
        }
      } finally {
        client.close();
      }
    });
  }

  it('cluster: killing the leader elects another, and the old one rejoins on heal', async () => {
    const backend = backends.get('cluster')!;
    const kill = backend.faults().find((f) => f.kind === 'kill etcd leader')!;
    const before = await backend.leader();
    const { injected } = await injectAndHeal(kill, async (description) => {
      expect(description).toMatch(new RegExp(`^kill -9 etcd-${before} \\(leader\\) \\(pid \\d+\\)$`));
      const next = await eventually(async () => {
        const leader = await backend.leader();
        if (leader === before) throw new Error('still the old leader');
        return leader;
      });
      expect(next).not.toBe(before);
    });
    expect(memberOf(injected)).toBe(before);
    expect(await unreachable(backend.proxies[before]!.address)).toBe(false);
  });
});
