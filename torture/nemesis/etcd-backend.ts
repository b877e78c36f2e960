import { EtcdCluster } from '../../packages/server/test/support/etcd-harness.js';
import type { TortureBackend } from '../runner/backend.js';
import { seededRandom } from './fault-schedule.js';
import { cutFault, killFault, pauseFault } from './faults.js';
import type { Member } from './faults.js';
import { TcpProxy } from './tcp-proxy.js';

/** An etcd backend: one member, or three, each behind its own proxy. */
export interface EtcdBackend extends TortureBackend {
  readonly store: 'etcd';
  /** The members' proxies, in member order. */
  readonly proxies: readonly TcpProxy[];
  /** The index of the current leader (asks the members). */
  leader(): Promise<number>;
}

/**
 * Starts etcd (the test support's EtcdCluster: its data lives in its own temp folder, in memory on
 * Linux, and survives a member's kill -9 since each member fsyncs its WAL) with a proxy per member.
 * Faults: kill -9 + restart of a member (picked from the seed), of the leader (with `cluster`),
 * SIGSTOP of a member, a reset of one member's proxy. Every heal waits until all members are healthy.
 */
export async function startEtcd(cluster: boolean, seed: number): Promise<EtcdBackend> {
  const etcd = await EtcdCluster.start('etcd', cluster ? 3 : 1);
  const ports = etcd.endpoints.split(',').map((endpoint) => Number(endpoint.split(':')[1]));
  const proxies = await Promise.all(ports.map((port) => TcpProxy.start(port)));
  const member = (index: number, role = ''): Member => ({
    label: `etcd-${index}${role}`,
    proxy: proxies[index]!,
    pid: () => pidOf(etcd, index),
    kill: () => etcd.kill(index),
    restart: () => etcd.restart(index),
    signal: (signal) => {
      const pid = pidOf(etcd, index);
      if (pid !== undefined) process.kill(pid, signal);
    },
    settle: () => etcd.waitHealthy(),
  });
  const random = seededRandom(seed);
  const any = () => Promise.resolve(member(Math.floor(random() * ports.length)));
  const leader = async () => member(await etcd.leader(), ' (leader)');
  const faults = [
    killFault('kill etcd member', any),
    ...(cluster ? [killFault('kill etcd leader', leader)] : []),
    pauseFault('sigstop etcd member', any),
    cutFault('reset etcd member proxy', any, 'reset'),
  ];
  return {
    store: 'etcd',
    proxies,
    leader: () => etcd.leader(),
    component: () => ({
      type: 'lock.etcd',
      metadata: { endpoints: proxies.map((p) => p.address).join(',') },
    }),
    faults: () => [...faults],
    async stop() {
      await etcd.stop();
      await Promise.all(proxies.map((proxy) => proxy.close()));
    },
  };
}

/**
 * The pid of member `index`. EtcdCluster lists only running members' pids, in member order, so the
 * index holds only while all run, which is so whenever a fault is injected (one fault at a time).
 */
function pidOf(etcd: EtcdCluster, index: number): number | undefined {
  const pids = etcd.pids();
  return pids.length === etcd.size ? pids[index] : undefined;
}
