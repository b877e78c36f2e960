import type { OpKind } from '../history/history-op.js';
import type { OpFields } from '../history/history-recorder.js';
import type { CallResult, ClientApi, PoolPrimitive, PoolRequest } from './client-api.js';
import { HOT } from './hot-names.js';
import type { Prng } from './prng.js';

/** The limit every torture client gives its semaphores: 3, with grants of 1–2 permits, so they contend. */
export const SEMAPHORE_LIMIT = 3;
/** The share of read/write lock acquires that ask for write. */
const WRITE_SHARE = 0.35;

/**
 * One primitive a client takes on a lease in a lock cycle: its hot names, the op kinds it records, what
 * an acquire asks for (drawn from the client's PRNG) and how it is asked and given back.
 */
export interface Taking {
  readonly names: readonly string[];
  kind(waitMs: number): OpKind;
  readonly releaseKind: OpKind;
  /** Fields of the acquire beyond name and lease, as recorded. */
  ask(rng: Prng): OpFields;
  acquire(
    api: ClientApi,
    name: string,
    leaseId: string,
    waitMs: number,
    asked: OpFields,
  ): Promise<CallResult>;
  release(api: ClientApi, name: string, leaseId: string): Promise<CallResult>;
  /** Whether a holder writes under the grant's fence (a highest-token fence suits locks only). */
  readonly fences: boolean;
}

/** A lock: try or wait, fenced writes while held. */
export const LOCK: Taking = {
  names: HOT.locks,
  kind: (waitMs) => (waitMs === 0 ? 'lock.tryAcquire' : 'lock.acquire'),
  releaseKind: 'lock.release',
  ask: () => ({}),
  acquire: (api, name, leaseId, waitMs) => api.acquire(name, leaseId, waitMs),
  release: (api, name, leaseId) => api.release(name, leaseId),
  fences: true,
};

/** A permit pool's taking: the request built from the recorded fields, the release by its primitive. */
function pool(
  primitive: PoolPrimitive,
  names: readonly string[],
  ask: (rng: Prng) => OpFields,
  request: (asked: OpFields) => PoolRequest,
): Taking {
  const kind = primitive === 'semaphores' ? 'semaphore' : 'rwlock';
  return {
    names,
    kind: () => `${kind}.acquire`,
    releaseKind: `${kind}.release`,
    ask,
    acquire: (api, name, leaseId, waitMs, asked) => api.take(name, leaseId, waitMs, request(asked)),
    release: (api, name, leaseId) => api.giveBack(primitive, name, leaseId),
    fences: false,
  };
}

/** A semaphore of limit 3: 1 or 2 permits. */
export const SEMAPHORE = pool(
  'semaphores',
  HOT.semaphores,
  (rng) => ({ limit: SEMAPHORE_LIMIT, permits: rng.int(1, 2) }),
  (asked) => ({ primitive: 'semaphores', limit: asked.limit!, permits: asked.permits! }),
);

/** A read/write lock: read, or write about a third of the time. */
export const RWLOCK = pool(
  'rwlocks',
  HOT.rwlocks,
  (rng) => ({ mode: rng.chance(WRITE_SHARE) ? 'write' : 'read' }),
  (asked) => ({ primitive: 'rwlocks', mode: asked.mode! }),
);
