import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { useRedlock } from '../../../test/support/redlock-harness.js';
import { createRedisStore } from '../redis/index.js';

const PREFIX = 'leasehold:{lockstore}:';

describeWithBackend('redis-server', 'lock.redis data layout (Redlock over 3 masters, ADR 0019)', (binary) => {
  const redlock = useRedlock(binary);

  it('marks every master as layout 2, and refuses to open while one master holds layout-1 metas', async () => {
    const raws = redlock.servers.map((s) => new Redis({ host: '127.0.0.1', port: s.port }));
    try {
      for (const raw of raws) expect(await raw.get(`${PREFIX}layout`)).toBe('2');
      await raws[1]!.del(`${PREFIX}layout`);
      await raws[1]!.hset(`${PREFIX}meta:old/1`, 'kind', 'n', 'lease', 'L', 'token', 3);
      const hosts = redlock.servers.map((s) => `127.0.0.1:${s.port}`).join(',');
      await expect(createRedisStore('lockstore', new Map([['redishosts', hosts]]))).rejects.toThrow(
        `layout 1 data (no ${PREFIX}layout key, ${PREFIX}meta:* hashes)`,
      );
    } finally {
      for (const raw of raws) raw.disconnect();
    }
  });
});
