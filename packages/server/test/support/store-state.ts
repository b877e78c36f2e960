import type { LocalStore } from '@leasehold/core';

interface EngineView {
  leases: {
    byId: Map<
      string,
      {
        id: string;
        ttlMs: number;
        owner?: string;
        implicit: boolean;
        deadline: number;
        locks: unknown;
        keys: unknown;
      }
    >;
  };
  locks: { byKey: Map<string, { key: string; leaseId: string; token: number; maxHoldMs?: number }> };
  queues: { byKey: Map<string, Set<unknown>> };
  kv: { rows: Map<string, unknown>; counters: Map<string, number> };
}

const values = (set: unknown): string[] =>
  set === undefined ? [] : typeof set === 'string' ? [set] : [...(set as Set<string>)].sort();

/**
 * Everything a memory store holds, as comparable JSON: leases (with their expiry deadline, so a
 * keep-alive shows), locks, waiters, KV rows and counters. It reads the private maps of the
 * engine's tables: the store has no dump, and a snapshot through the API would miss keys nobody
 * knows the name of.
 * `skip` leaves out what a test's own client changes (by key, lease owner or lease id).
 */
export function storeState(store: LocalStore, skip: (keyOrOwner: string) => boolean): string {
  const engine = (store as unknown as { engine: EngineView }).engine;
  const skipped = new Set(
    [...engine.leases.byId.values()].filter((l) => skip(l.owner ?? '')).map((l) => l.id),
  );
  const leases = [...engine.leases.byId.values()]
    .filter((l) => !skipped.has(l.id))
    .map((l) => ({
      ...l,
      locks: values(l.locks),
      keys: values(l.keys),
      heapIndex: undefined,
      waiters: undefined,
    }));
  const locks = [...engine.locks.byKey.values()]
    .filter((l) => !skip(l.key) && !skipped.has(l.leaseId))
    .map(({ key, leaseId, token, maxHoldMs }) => ({ key, leaseId, token, maxHoldMs }));
  const queues = [...engine.queues.byKey].filter(([key]) => !skip(key)).map(([key, set]) => [key, set.size]);
  const rows = [...engine.kv.rows].filter(([key]) => !skip(key));
  const counters = [...engine.kv.counters].filter(([name]) => !skip(name));
  return JSON.stringify({ leases, locks, queues, rows, counters }, null, 1);
}
