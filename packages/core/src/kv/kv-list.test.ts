import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../engine/local-store.js';
import { LeaseholdService } from '../service/leasehold-service.js';
import type { Store } from '../store.js';
import { KV_PAGE_DEFAULT } from './kv-list.js';

const caller = { appId: 'orders', role: 'app' } as const;
const stores: LocalStore[] = [];

function serviceOver(store: Store): LeaseholdService {
  return new LeaseholdService([{ name: 'lockstore', type: 'lock.memory', keyPrefix: 'appid', store }]);
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('KvService.list', () => {
  it('answers a page of 100 by default, with the cursor of the next', async () => {
    const store = new LocalStore();
    stores.push(store);
    const service = serviceOver(store);
    for (let i = 0; i < 150; i++) {
      await service.kv.put(caller, 'lockstore', { key: `k${String(i).padStart(3, '0')}`, value: 'v' });
    }
    const page = await service.kv.list(caller, 'lockstore', { prefix: 'k' });
    expect(page.entries).toHaveLength(KV_PAGE_DEFAULT);
    expect([page.more, page.next]).toEqual([true, 'k099']);
    const rest = await service.kv.list(caller, 'lockstore', {
      prefix: 'k',
      after: page.next,
      limit: '1000',
    });
    expect([rest.entries.length, rest.more, rest.next]).toEqual([50, false, undefined]);
  });

  it('is NOT_SUPPORTED (501) on a store that cannot list keys', async () => {
    const store = new LocalStore();
    stores.push(store);
    const { list: _list, ...kv } = store.kv;
    const unable: Store = {
      leases: store.leases,
      locks: store.locks,
      watch: store.watch,
      kv,
      ping: () => store.ping(),
      close: () => store.close(),
    };
    await expect(serviceOver(unable).kv.list(caller, 'lockstore', { prefix: '' })).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      httpStatus: 501,
      message: 'store: lockstore cannot list keys',
    });
  });
});
