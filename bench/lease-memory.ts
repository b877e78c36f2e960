/**
 * Heap bytes per lease in the memory engine: a lease alone, and a lease holding one lock, against
 * the cost of a bare randomUUID() string (why lease ids come from a flat pooled hex string).
 * Run: node --expose-gc --conditions=source --import tsx bench/lease-memory.ts
 */
import { randomUUID } from 'node:crypto';
import { LocalStore, newLeaseId } from '@leasehold/core';

const n = 200_000;
const kept: unknown[] = [];

async function probe(name: string, make: (store: LocalStore, i: number) => Promise<unknown>): Promise<void> {
  const store = new LocalStore();
  kept.length = 0;
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i += 10_000) {
    const work: Promise<unknown>[] = [];
    for (let j = i; j < i + 10_000; j++) work.push(make(store, j));
    kept.push(...(await Promise.all(work)));
  }
  global.gc?.();
  console.log(`${name}: ${((process.memoryUsage().heapUsed - base) / n).toFixed(0)} B each`);
  await store.close();
}

await probe('randomUUID() string', () => Promise.resolve(randomUUID()));
await probe('newLeaseId() string', () => Promise.resolve(newLeaseId()));
await probe('lease', (store) => store.leases.grant({ app: 'test', ttlMs: 600_000 }).then(() => undefined));
await probe('lease holding a lock', (store, i) =>
  store.leases
    .grant({ app: 'test', ttlMs: 600_000 })
    .then((lease) => store.locks.acquire({ app: 'test', key: `lock/${i}`, leaseId: lease.id }))
    .then(() => undefined),
);
