import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseholdClient, UnauthorizedError } from '../src/index.js';
import type { TestServer } from './support/test-server.js';
import { startTestServer } from './support/test-server.js';

describe('API tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ token: 's3cret' });
  });
  afterAll(() => server.close());

  it.each(['stream', 'http'] as const)(
    'a wrong token is an UnauthorizedError, the right one works (%s)',
    async (transport) => {
      const url = transport === 'stream' ? server.streamUrl : server.httpUrl;
      const wrong = new LeaseholdClient({ url, transport, token: 'nope' });
      await expect(wrong.counters.get('c')).rejects.toBeInstanceOf(UnauthorizedError);
      await wrong.close();
      const right = new LeaseholdClient({ url, transport, token: 's3cret' });
      expect(await right.counters.add('c', 1)).toBeGreaterThan(0);
      await right.close();
    },
  );
});
