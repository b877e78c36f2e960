/**
 * What the lock scripts cost Redis itself: Redis CPU per acquire+release script pair, sent in
 * pipelines of 200 pairs (so Redis, not the network, is measured), as functions (how the store
 * runs them) and by EVALSHA, beside the shared prelude alone and an empty script. Run: node --conditions=source --import tsx bench/redis-lua-cycle.ts  (not a test)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { acquireScript, releaseScript } from '../packages/server/src/stores/redis/lock-scripts.js';
import { lua } from '../packages/server/src/stores/redis/lua-prelude.js';
import { LuaScript } from '../packages/server/src/stores/redis/lua-script.js';
import { RedisServer } from '../packages/server/test/support/redis-harness.js';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 40_000);
const BATCH = 200;
const P = 'leasehold:{lockstore}:';

function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Commands the scripts ran per pair (INFO commandstats since the last RESETSTAT, less the script calls). */
async function callsPerPair(): Promise<string> {
  const stats = await client.info('commandstats');
  let calls = 0;
  for (const [, name, n] of stats.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) {
    if (!/^(fcall|evalsha|eval|pipeline|config.*|info)$/.test(name!)) calls += Number(n);
  }
  return (calls / PAIRS).toFixed(1);
}

const redis = await RedisServer.start(execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim());
const client = new Redis({ host: '127.0.0.1', port: redis.port });
const load = async (source: string) => String(await client.script('LOAD', source));
const loadFunction = async (script: LuaScript) => {
  await client.function('LOAD', 'REPLACE', script.library);
  return script.name;
};
type Send = (pipeline: ReturnType<Redis['pipeline']>, name: string, args: (string | number)[]) => unknown;
const evalsha: Send = (pipeline, sha, args) => pipeline.evalsha(sha, 0, P, ...args);
const fcall: Send = (pipeline, name, args) => pipeline.fcall(name, 0, P, ...args);
try {
  // A live lease of app 'bench', as grantLease writes it.
  await client.hset(`${P}lease:L1`, 'ttlMs', 600_000, 'owner', '', 'app', 'bench');
  await client.pexpire(`${P}lease:L1`, 600_000);
  // Layout 2: the grant makes the lease's lock set, with its TTL, before any lock.
  await client.sadd(`${P}ll:L1`, '');
  await client.pexpire(`${P}ll:L1`, 660_000);
  const preludeOnly = new LuaScript(lua('return 1'));
  const variants: [string, string, string, Send][] = [
    ['acquire+release', await loadFunction(acquireScript), await loadFunction(releaseScript), fcall],
    ['same by EVALSHA', await load(acquireScript.lua), await load(releaseScript.lua), evalsha],
    ['prelude, EVALSHA', await load(preludeOnly.lua), await load(preludeOnly.lua), evalsha],
    ['empty script', await load('return 1'), await load('return 1'), evalsha],
  ];
  for (const [label, acquire, release, send] of variants) {
    await client.config('RESETSTAT');
    const before = cpuOf(redis.pid!);
    for (let sent = 0; sent < PAIRS; sent += BATCH) {
      const pipeline = client.pipeline();
      for (let i = 0; i < BATCH; i++) {
        const key = `lock||bench:${i % 64}`;
        send(pipeline, acquire, [key, 'L1', 0, 0, '', 'srv', '=bench']);
        send(pipeline, release, [key, 'L1', '=bench']);
      }
      const replies = await pipeline.exec();
      const failed = replies?.find(([error]) => error)?.[0];
      if (failed) throw failed;
    }
    const perPair = (cpuOf(redis.pid!) - before) / PAIRS;
    console.log(
      `${label.padEnd(16)} ${perPair.toFixed(1)} µs Redis CPU per pair, ${await callsPerPair()} calls inside`,
    );
  }
} finally {
  client.disconnect();
  await redis.destroy();
}
