/** The few hot names every client picks among, so clients contend. */
export const HOT = {
  locks: ['L/a', 'L/b', 'L/c'],
  daprResources: ['D/x', 'D/y'],
  /** One each, so the clients' grants meet: names apart from the locks', as the checker groups by name. */
  semaphores: ['S/a'],
  rwlocks: ['RW/a'],
  /** Under `KV_PREFIX`, which the watch reader watches. */
  keys: ['t/k1', 't/k2', 't/k3'],
} as const;

/** The prefix of every KV key the clients write; no other hot name starts with it. */
export const KV_PREFIX = 't/';
