/** The op each HTTP API route performs, by method and route pattern: the label on its requests. */
const HTTP_OPS: ReadonlyMap<string, string> = new Map([
  ['POST /v1/:store/leases', 'grantLease'],
  ['POST /v1/:store/leases/:id/keepalive', 'keepAlive'],
  ['DELETE /v1/:store/leases/:id', 'revokeLease'],
  ['GET /v1/:store/leases', 'listLeases'],
  ['GET /v1/:store/leases/:id', 'getLease'],
  ['POST /v1/:store/locks/acquire', 'acquire'],
  ['POST /v1/:store/locks/release', 'release'],
  ['POST /v1/:store/locks/force-release', 'forceRelease'],
  ['GET /v1/:store/locks', 'describeLock'],
  ['GET /v1/:store/locks/check', 'checkLock'],
  ['PUT /v1/:store/kv', 'put'],
  ['GET /v1/:store/kv', 'get'],
  ['DELETE /v1/:store/kv', 'delete'],
  ['POST /v1/:store/counters/add', 'counterAdd'],
  ['GET /v1/:store/counters', 'counterGet'],
  ['PUT /v1/:store/counters', 'counterSet'],
  ['GET /v1/:store/watch', 'watch'],
  ['GET /v1/stores', 'listStores'],
  ['POST /v1.0-alpha1/lock/:store', 'daprTryLock'],
  ['POST /v1.0-alpha1/unlock/:store', 'daprUnlock'],
  ['GET /v1.0/metadata', 'metadata'],
]);

/** The op of a request, or undefined for routes that are no API op (health, metrics, the page). */
export function httpOp(method: string, route: string, query: unknown): string | undefined {
  const op = HTTP_OPS.get(`${method} ${route}`);
  // One route serves both: a name describes one lock, anything else lists.
  if (op === 'describeLock' && (query as { name?: unknown }).name === undefined) return 'listLocks';
  return op;
}
