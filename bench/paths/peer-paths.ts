import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import Redlock from 'redlock';
import { ensure } from '../lib/bench-path.js';
import type { BenchPath } from '../lib/bench-path.js';
import { jsonPool, sendJson } from '../lib/undici-json.js';

const TTL_MS = 30_000;

/** Dapr's own Redis lock release: delete the key only while it holds our value. */
const RELEASE_LUA = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

type ReleasingRedis = Redis & { benchRelease(key: string, value: string): Promise<number> };

/** redlock 5 over one ioredis connection to the shared Redis, never retrying. */
export const redlock: BenchPath = {
  name: 'redlock',
  peer: true,
  async open(env, _workers, tag) {
    const redis = await env.redis();
    const client = new Redis(redis.port, '127.0.0.1');
    const locks = new Redlock([client], { retryCount: 0 });
    return {
      processes: { redis: [redis.pid!] },
      async cycle(worker) {
        const lock = await locks.acquire([`bench:${tag}:${worker}`], TTL_MS);
        await lock.release();
      },
      close: async () => void (await client.quit()),
    };
  },
};

/** Raw `SET key value NX PX` and a Lua compare-and-delete, over one ioredis connection. */
export const setNx: BenchPath = {
  name: 'redis-set-nx',
  peer: true,
  async open(env, _workers, tag) {
    const redis = await env.redis();
    const client = new Redis(redis.port, '127.0.0.1') as ReleasingRedis;
    client.defineCommand('benchRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
    let next = 0;
    return {
      processes: { redis: [redis.pid!] },
      async cycle(worker) {
        const key = `bench:${tag}:${worker}`;
        const value = String(next++);
        const set = await client.set(key, value, 'PX', TTL_MS, 'NX');
        ensure(set === 'OK', 'SET NX', set);
        const deleted = await client.benchRelease(key, value);
        ensure(deleted === 1, 'release', deleted);
      },
      close: async () => void (await client.quit()),
    };
  },
};

/** The etcd3 package's `Lock` (a lease, a put-if-absent, a revoke) on the shared etcd. */
export const etcd3Lock: BenchPath = {
  name: 'etcd3-lock',
  peer: true,
  async open(env, _workers, tag) {
    const etcd = await env.etcd();
    const client = new Etcd3({ hosts: etcd.endpoints.split(',').map((host) => `http://${host}`) });
    return {
      processes: { etcd: etcd.pids() },
      async cycle(worker) {
        const lock = client.lock(`bench/${tag}/${worker}`).ttl(TTL_MS / 1000);
        await lock.acquire();
        await lock.release();
      },
      close: () => Promise.resolve(client.close()),
    };
  },
};

/** The trivial node:http Map server, driven by undici like the native HTTP rows. */
export const trivialHttp: BenchPath = {
  name: 'trivial-http',
  peer: true,
  async open(env, workers, tag) {
    const trivial = await env.trivial();
    const pool = jsonPool(trivial.url, workers);
    return {
      processes: { server: [trivial.pid] },
      async cycle(worker) {
        const lock = { name: `bench/${tag}/${worker}`, owner: `owner-${worker}` };
        const taken = await sendJson(pool, 'POST', '/acquire', lock);
        ensure(taken.body?.acquired === true, 'acquire', taken.body);
        const released = await sendJson(pool, 'POST', '/release', lock);
        ensure(released.body?.released === true, 'release', released.body);
      },
      close: () => pool.close(),
    };
  },
};
