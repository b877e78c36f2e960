import type { StoreBinding, Unsubscribe } from '@leasehold/core';
import type { ServerMetrics } from './server-metrics.js';

/**
 * Counts what a store announces: lease expiries, and how long each lock it saw granted was held
 * until its release (by its holder, an expiry, a hand-off or an admin). On Redis and etcd every
 * server sees every event, so each reports the whole store: aggregate these with max, not sum.
 * Holds granted before this server started are not measured.
 */
export function followStoreEvents(binding: StoreBinding, metrics: ServerMetrics): Unsubscribe {
  const store = binding.name;
  // Store key -> when its grant was seen; one entry per held lock.
  const grantedAt = new Map<string, number>();
  const stop = binding.store.watch.subscribe({
    prefix: '',
    onEvent: (event) => {
      switch (event.type) {
        case 'lease.expired':
          metrics.leaseExpired(store);
          return;
        case 'lock.acquired':
          grantedAt.set(event.key, performance.now());
          return;
        case 'lock.released': {
          const at = grantedAt.get(event.key);
          if (at === undefined) return;
          grantedAt.delete(event.key);
          metrics.lockHeld(store, (performance.now() - at) / 1000);
          return;
        }
        default:
          return;
      }
    },
  });
  return () => {
    stop();
    grantedAt.clear();
  };
}
