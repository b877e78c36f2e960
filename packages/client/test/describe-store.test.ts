import { describe, expect, it } from 'vitest';
import { LeaseholdService, LocalStore } from '@leasehold/core';
import { LeaseholdClient } from '../src/index.js';
import { useSetup } from './support/setups.js';

describe.each(['stream', 'http', 'inProcess'] as const)('describeStore over %s', (name) => {
  const client = useSetup(name);

  it("answers the client's store: its name, its type and what it can do", async () => {
    const c = client();
    const store = await c.describeStore();
    expect(store).toMatchObject({
      name: c.store,
      type: name === 'inProcess' ? 'lock.memory' : 'lock.sqlite',
    });
    expect(store.capabilities).toEqual(expect.arrayContaining(['leases', 'locks', 'dapr', 'kv', 'watch']));
  });
});

describe('describeStore of a store that is not configured', () => {
  it('rejects with STORE_NOT_FOUND naming the store', async () => {
    const store = new LocalStore();
    const service = new LeaseholdService([
      { name: 'lockstore', type: 'lock.memory', keyPrefix: 'appid', store },
    ]);
    const c = LeaseholdClient.inProcess({ service, store: 'nowhere' });
    await expect(c.describeStore()).rejects.toMatchObject({
      errorCode: 'STORE_NOT_FOUND',
      message: 'store: nowhere is not configured',
    });
    await c.close();
    await store.close();
  });
});
