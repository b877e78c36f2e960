/**
 * What the lock scripts cost Redis itself: Redis CPU per acquire+release script pair, sent in
 * pipelines of 200 pairs (so Redis, not the network, is measured), beside the shared prelude alone
 * and an empty script. Run: node --conditions=source --import tsx bench/redis-lua-cycle.ts  (not a test)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { acquireScript, releaseScript } from '../packages/server/src/stores/redis/lock-scripts.js';
import { lua } from '../packages/server/src/stores/redis/lua-prelude.js';
import { RedisServer } from '../packages/server/test/support/redis-harness.js';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 40_000);
const BATCH = 200;
const P = 'leasehold:{lockstore}:';

function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const redis = await RedisServer.start(execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim());
const client = new Redis({ host: '127.0.0.1', port: redis.port });
const load = async (source: string) => String(await client.script('LOAD', source));
try {
  // A live lease of app 'bench', as grantLease writes it.
  await client.hset(`${P}lease:L1`, 'ttlMs', 600_000, 'owner', '', 'app', 'bench');
  await client.pexpire(`${P}lease:L1`, 600_000);
  const variants: [string, string, string][] = [
    ['acquire+release', await load(acquireScript.lua), await load(releaseScript.lua)],
    ['prelude only', await load(lua('return 1')), await load(lua('return 1'))],
    ['empty script', await load('return 1'), await load('return 1')],
  ];
  for (const [label, acquire, release] of variants) {
    const before = cpuOf(redis.pid!);
    for (let sent = 0; sent < PAIRS; sent += BATCH) {
      const pipeline = client.pipeline();
      for (let i = 0; i < BATCH; i++) {
        const key = `lock||bench:${i % 64}`;
        pipeline.evalsha(acquire, 0, P, key, 'L1', 0, 0, '', 'srv', '=bench');
        pipeline.evalsha(release, 0, P, key, 'L1', '=bench');
      }
      const replies = await pipeline.exec();
      const failed = replies?.find(([error]) => error)?.[0];
      if (failed) throw failed;
    }
    const perPair = (cpuOf(redis.pid!) - before) / PAIRS;
    console.log(`${label.padEnd(16)} ${perPair.toFixed(1)} µs Redis CPU per pair`);
  }
} finally {
  client.disconnect();
  await redis.destroy();
}
