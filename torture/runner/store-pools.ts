import type { PoolPrimitive } from './client-api.js';

/** Which permit-pool primitives a run's clients take, and why the others are left out. */
export interface StorePools {
  readonly pools: readonly PoolPrimitive[];
  /** One line per primitive left out, naming the store and what it lacks. */
  readonly skipped: readonly string[];
}

const POOLS: readonly PoolPrimitive[] = ['semaphores', 'rwlocks'];

/**
 * Asks a server which capabilities its store has (`GET /v1/lockstore`, as `GET /v1/stores` lists it):
 * clients take semaphores and read/write locks only where the store has them, since elsewhere every
 * acquire would be a NOT_SUPPORTED refusal that checks nothing.
 */
export async function storePools(url: string): Promise<StorePools> {
  const response = await fetch(`${url}/v1/lockstore`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}/v1/lockstore answered ${response.status}`);
  const store = (await response.json()) as { type?: string; capabilities?: string[] };
  const capabilities = store.capabilities ?? [];
  const pools = POOLS.filter((primitive) => capabilities.includes(primitive));
  const skipped = POOLS.filter((primitive) => !pools.includes(primitive)).map(
    (primitive) =>
      `${primitive} skipped: ${store.type ?? 'the store'} lacks them (capabilities: ${capabilities.join(', ')})`,
  );
  return { pools, skipped };
}
