import type { LeaseholdService, StoreStats } from '@leasehold/core';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** How long a scrape waits for a store's counts before leaving that store out. */
export const STATS_TIMEOUT_MS = 1_000;

/**
 * Live leases, held locks and queued waiters per store, and the semaphores and read/write locks
 * where the store counts them cheaply, read at scrape time from each store's
 * `stats()` (an engine count, or a few counting reads on Redis and etcd). A store that does not
 * answer within STATS_TIMEOUT_MS has no sample in that scrape, so a slow backend cannot hang
 * /metrics; its failure shows in leasehold_store_errors_total{op="stats"}.
 */
export function registerStoreGauges(registry: Registry, service: LeaseholdService): void {
  let reading: Promise<Map<string, StoreStats>> | undefined;
  // The gauges are collected together: they share one read per scrape.
  const read = () =>
    (reading ??= readAll(service).finally(() => {
      reading = undefined;
    }));
  const gauge = (name: string, help: string, pick: (s: StoreStats) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['store'] as const,
      registers: [registry],
      async collect() {
        const stats = await read();
        this.reset();
        for (const [store, counts] of stats) {
          const value = pick(counts);
          if (value !== undefined) this.set({ store }, value);
        }
      },
    });
  gauge('leasehold_leases', 'Live leases per store (Dapr locks hold one each).', (s) => s.leases);
  gauge('leasehold_locks_held', 'Held locks per store.', (s) => s.locks);
  gauge('leasehold_lock_waiters', 'Acquires waiting in queues per store.', (s) => s.waiters);
  gauge('leasehold_permits_held', 'Semaphore permits held per store that has semaphores.', (s) => s.permits);
  gauge(
    'leasehold_semaphores',
    'Semaphores per store (held, awaited or made by setLimit).',
    (s) => s.semaphores,
  );
  gauge(
    'leasehold_semaphore_waiters',
    'Acquires waiting in semaphore queues per store.',
    (s) => s.semaphoreWaiters,
  );
  gauge(
    'leasehold_rwlock_waiters',
    'Acquires waiting in read/write lock queues per store.',
    (s) => s.rwlockWaiters,
  );
  new Gauge({
    name: 'leasehold_rwlocks_held',
    help: 'Read/write locks held per store, by the mode they are held in (read, write).',
    labelNames: ['store', 'mode'] as const,
    registers: [registry],
    async collect() {
      const stats = await read();
      this.reset();
      for (const [store, { rwlocksHeld }] of stats) {
        if (rwlocksHeld === undefined) continue;
        this.set({ store, mode: 'read' }, rwlocksHeld.read);
        this.set({ store, mode: 'write' }, rwlocksHeld.write);
      }
    },
  });
}

async function readAll(service: LeaseholdService): Promise<Map<string, StoreStats>> {
  const out = new Map<string, StoreStats>();
  await Promise.all(
    service.bindings().map(async ({ name, store }) => {
      if (!store.stats) return;
      const counts = await withTimeout(Promise.resolve().then(() => store.stats!()));
      if (counts) out.set(name, counts);
    }),
  );
  return out;
}

/** The value, or undefined when it fails or takes longer than STATS_TIMEOUT_MS. */
export async function withTimeout<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, STATS_TIMEOUT_MS, undefined);
    timer.unref();
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
