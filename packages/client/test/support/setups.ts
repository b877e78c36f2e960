import { afterAll, afterEach, beforeAll } from 'vitest';
import { LocalStore, LeaseholdService } from '@leasehold/core';
import { LeaseholdClient } from '../../src/index.js';
import type { TestServer } from './test-server.js';
import { startTestServer } from './test-server.js';

/** One way to reach a Leasehold: `client()` makes independent clients of the same service. */
export interface Setup {
  readonly name: 'stream' | 'http' | 'inProcess';
  client(): LeaseholdClient;
  close(): Promise<void>;
}

/** Starts the named setup: a real server for stream and HTTP, a shared LeaseholdService in-process. */
export async function startSetup(name: Setup['name']): Promise<Setup> {
  if (name === 'inProcess') {
    const store = new LocalStore();
    const service = new LeaseholdService(
      [{ name: 'lockstore', type: 'lock.memory', keyPrefix: 'appid', store }],
      {
        limits: { minTtlMs: 100 },
      },
    );
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

/**
 * Starts the named setup for the enclosing describe block and returns a client factory: every
 * client it makes is closed after each test, and the setup after the block.
 */
export function useSetup(name: Setup['name']): () => LeaseholdClient {
  let setup: Setup;
  const clients: LeaseholdClient[] = [];
  beforeAll(async () => {
    setup = await startSetup(name);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => setup.close());
  return () => {
    const made = setup.client();
    clients.push(made);
    return made;
  };
}
