import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../engine/local-store.js';
import { LeaseholdService } from '../service/leasehold-service.js';
import type { Store } from '../store.js';

const caller = { appId: 'orders', role: 'app' } as const;
const stores: LocalStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** A service over a LocalStore, with or without the store's own bulk keep-alive. */
function serviceOver(bulk: boolean): { service: LeaseholdService; store: LocalStore } {
  const store = new LocalStore();
  stores.push(store);
  const { keepAliveMany: _, ...leases } = store.leases;
  // The store seen through an object whose leases lack keepAliveMany, as etcd's and Redlock's do.
  const seen: Store = bulk ? store : Object.assign(Object.create(store) as Store, { leases });
  const binding = { name: 'lockstore', type: 'lock.memory', keyPrefix: 'appid', store: seen };
  return { service: new LeaseholdService([binding]), store };
}

describe('LeaseService.keepAliveMany', () => {
  it.each([true, false])('names only the leases gone or another app’s (store bulk: %s)', async (bulk) => {
    const { service, store } = serviceOver(bulk);
    const ids: string[] = [];
    for (let i = 0; i < 2_500; i++)
      ids.push((await service.leases.grant(caller, 'lockstore', { ttlMs: 5_000 })).id);
    const foreign = (await store.leases.grant({ app: 'billing', ttlMs: 5_000 })).id;
    await service.leases.revoke(caller, 'lockstore', ids[1_234]);
    const lost = await service.leases.keepAliveMany(caller, 'lockstore', [...ids, foreign]);
    expect(lost).toEqual([ids[1_234], foreign]);
  });
});
