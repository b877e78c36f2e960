import { LeaseholdClient } from '@leasehold/client';
import type { Environment, StoreKind } from './environment.js';
import type { ResultSink } from './result-sink.js';

/**
 * Whether the Leasehold server on `store` has `capability` (`semaphores`, `rwlocks`), as
 * `GET /v1/{store}` lists it. When it has not, the run notes why and the scenario skips the row:
 * every acquire would be a NOT_SUPPORTED refusal, which measures nothing.
 */
export async function storeHas(
  env: Environment,
  store: StoreKind,
  capability: string,
  sink: ResultSink,
  row: string,
): Promise<boolean> {
  const server = await env.leasehold(store);
  const client = new LeaseholdClient({ url: server.url });
  try {
    const { type, capabilities } = await client.describeStore();
    if (capabilities.includes(capability)) return true;
    sink.note(`${row} skipped: ${type} has no ${capability} yet (it lists ${capabilities.join(', ')})`);
    return false;
  } finally {
    await client.close();
  }
}
