import { describe, expect, it } from 'vitest';
import { LeaseholdError } from '@leasehold/core';
import { parseRedisConfig } from './config.js';

const parse = (entries: Record<string, string>) =>
  parseRedisConfig('lockstore', new Map(Object.entries(entries).map(([k, v]) => [k.toLowerCase(), v])));

function refusal(entries: Record<string, string>): string {
  try {
    parse(entries);
  } catch (error) {
    expect(error).toBeInstanceOf(LeaseholdError);
    expect((error as LeaseholdError).code).toBe('INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('lock.redis metadata', () => {
  it('reads Dapr names for one node', () => {
    const config = parse({
      redisHost: 'redis.local:6380',
      redisPassword: 'pw',
      redisUsername: 'me',
      redisDB: '2',
      enableTLS: 'true',
      dialTimeout: '2s',
      readTimeout: '750ms',
      writeTimeout: '1500',
    });
    expect(config).toEqual({
      mode: 'node',
      endpoint: { host: 'redis.local', port: 6380 },
      username: 'me',
      password: 'pw',
      db: 2,
      tls: true,
      connectTimeoutMs: 2_000,
      commandTimeoutMs: 1_500,
    });
  });

  it('reads Sentinel and Redlock settings', () => {
    expect(
      parse({ redisHost: 's1:26379,s2:26379', redisType: 'sentinel', sentinelMasterName: 'mymaster' }),
    ).toMatchObject({
      mode: 'sentinel',
      masterName: 'mymaster',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
    });
    expect(parse({ redisHosts: 'a:1,b:2,c:3', driftFactor: '0.02' })).toMatchObject({
      mode: 'redlock',
      driftFactor: 0.02,
      endpoints: [
        { host: 'a', port: 1 },
        { host: 'b', port: 2 },
        { host: 'c', port: 3 },
      ],
    });
  });

  it('refuses bad metadata naming the component and field', () => {
    expect(refusal({ redisHost: 'x:1', redisType: 'cluster' })).toMatch(
      /^component lockstore: metadata redisType: cluster is not supported/,
    );
    expect(refusal({})).toBe('component lockstore: metadata redisHost: is required');
    expect(refusal({ redisHost: 'nohost' })).toMatch(/metadata redisHost: "nohost" is not host:port/);
    expect(refusal({ redisHost: 'x:1', redisDB: 'two' })).toMatch(/metadata redisDB:/);
    expect(refusal({ redisHost: 'x:1', enableTLS: 'maybe' })).toMatch(/metadata enableTLS:/);
    expect(refusal({ redisHost: 'x:1', readTimeout: '-1s' })).toMatch(/metadata readTimeout:/);
    expect(refusal({ redisHost: 'x:1', redisType: 'sentinel' })).toMatch(
      /metadata sentinelMasterName: is required/,
    );
    expect(refusal({ redisHosts: 'a:1,b:2' })).toMatch(/metadata redisHosts: Redlock needs an odd number/);
    expect(refusal({ redisHosts: 'a:1,b:2,c:3', driftFactor: 'x' })).toMatch(/metadata driftFactor:/);
  });
});
