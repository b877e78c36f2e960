import type { Fault, TortureBackend } from '../runner/backend.js';
import { seededRandom } from './fault-schedule.js';
import { cutFault, killFault, pauseFault } from './faults.js';
import type { Member } from './faults.js';
import { RedisNode } from './redis-node.js';
import { TcpProxy } from './tcp-proxy.js';

/** A Redis backend (one node, or three Redlock masters), each node behind its own proxy. */
export interface RedisBackend extends TortureBackend {
  readonly store: 'redis' | 'redlock';
  /** The nodes and their proxies, for tests that look behind the component. */
  readonly members: readonly Member[];
}

/** Starts one redis-server (store `redis`) behind a proxy, data in `dir/redis`. */
export async function startRedis(dir: string): Promise<RedisBackend> {
  const members = [await startMember(dir, 'redis')];
  const only = () => Promise.resolve(members[0]!);
  const faults = [
    killFault('kill redis (restarts on its AOF, appendfsync always)', only),
    pauseFault('sigstop redis', only),
    cutFault('reset redis proxy', only, 'reset'),
    cutFault('blackhole redis proxy', only, 'blackhole'),
  ];
  return backend('redis', members, faults, { redisHost: members[0]!.proxy.address });
}

/**
 * Starts three independent masters (store `redlock`, the `redisHosts` component), each behind a
 * proxy, data in `dir/redlock-<i>`. Each fault hits ONE master, picked from the seed, and the
 * schedule runs one fault at a time: Redlock promises safety only while a majority is up and a
 * restarted master has kept what it acknowledged (appendfsync always), so two masters are never down
 * together and no master ever restarts empty.
 */
export async function startRedlock(dir: string, seed: number): Promise<RedisBackend> {
  const members: Member[] = [];
  for (let i = 1; i <= 3; i++) members.push(await startMember(dir, `redlock-${i}`));
  const random = seededRandom(seed);
  const one = () => Promise.resolve(members[Math.floor(random() * members.length)]!);
  const faults = [
    killFault('kill one redlock master (majority stays up; restarts on its AOF, appendfsync always)', one),
    pauseFault('sigstop one redlock master', one),
    cutFault('reset one redlock master proxy', one, 'reset'),
  ];
  const hosts = members.map((m) => m.proxy.address).join(',');
  return backend('redlock', members, faults, { redisHosts: hosts });
}

async function startMember(dir: string, name: string): Promise<Member> {
  const node = await RedisNode.start('redis-server', dir, name);
  const proxy = await TcpProxy.start(node.port);
  return {
    label: name,
    proxy,
    pid: () => node.pid,
    kill: () => node.kill(),
    restart: () => node.restart(),
    signal: (signal) => node.signal(signal),
    settle: () => node.ready(),
  };
}

function backend(
  store: RedisBackend['store'],
  members: readonly Member[],
  faults: readonly Fault[],
  metadata: Record<string, string>,
): RedisBackend {
  return {
    store,
    members,
    component: () => ({ type: 'lock.redis', metadata: { ...metadata } }),
    faults: () => [...faults],
    async stop() {
      await Promise.all(members.map((m) => m.kill()));
      await Promise.all(members.map((m) => m.proxy.close()));
    },
  };
}
