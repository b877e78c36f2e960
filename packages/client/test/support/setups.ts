import { LocalStore, LockService } from '@leasehold/core';
import { LeaseholdClient } from '../../src/index.js';
import type { TestServer } from './test-server.js';
import { startTestServer } from './test-server.js';

/** One way to reach a Leasehold: `client()` makes independent clients of the same service. */
export interface Setup {
  readonly name: 'stream' | 'http' | 'inProcess';
  client(): LeaseholdClient;
  close(): Promise<void>;
}

/** Starts the named setup: a real server for stream and HTTP, a shared LockService in-process. */
export async function startSetup(name: Setup['name']): Promise<Setup> {
  if (name === 'inProcess') {
    const store = new LocalStore();
    const service = new LockService([{ name: 'lockstore', type: 'lock.memory', keyPrefix: 'appid', store }], {
      limits: { minTtlMs: 100 },
    });
    return {
      name,
      client: () => LeaseholdClient.inProcess({ service }),
      close: () => store.close(),
    };
  }
  const server: TestServer = await startTestServer();
  return {
    name,
    client: () =>
      name === 'stream'
        ? new LeaseholdClient({ url: server.streamUrl })
        : new LeaseholdClient({ url: server.httpUrl, transport: 'http' }),
    close: () => server.close(),
  };
}
