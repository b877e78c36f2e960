import { LockNotAcquiredError } from './errors.js';
import type { Lease } from './lease.js';
import type { LeasesApi } from './leases-api.js';
import type { PermitHandle } from './permit-handle.js';
import type { PermitAcquireOptions, SemaphoresApi } from './semaphores-api.js';
import { optionalMs, requireMs, requireString } from './validate.js';
import { runOnFreshLease } from './on-fresh-lease.js';

/** Options of withPermit. */
export interface WithPermitOptions {
  /** TTL of the lease granted for the duration of the routine. */
  readonly ttlMs: number;
  /** Creates the semaphore if absent; must equal its limit if given. */
  readonly limit?: number;
  /** How many permits to take; default 1. */
  readonly permits?: number;
  /** How long to wait for the permits; default 0 (fail at once if they are not free). */
  readonly waitMs?: number;
  readonly owner?: string;
  /** Aborts the wait. */
  readonly signal?: AbortSignal;
}

/** What the routine gets. */
export interface PermitContext {
  /** Aborted with a LeaseLostError when the permits can no longer be proven held. */
  readonly signal: AbortSignal;
  readonly fencingToken: number;
  readonly lease: Lease;
  readonly permit: PermitHandle;
}

/**
 * Grants a lease, waits for the permits, runs `fn`, then — after any keep-alive in flight —
 * releases them and revokes the lease, whatever `fn` did; as withLock, a lost lease rejects at
 * once and cleans up in the background.
 */
export async function withPermit<T>(
  leases: LeasesApi,
  semaphores: SemaphoresApi,
  name: string,
  options: WithPermitOptions,
  fn: (context: PermitContext) => Promise<T> | T,
): Promise<T> {
  requireString('name', name);
  const ttlMs = requireMs('ttlMs', options?.ttlMs, 1);
  const waitMs = optionalMs('waitMs', options.waitMs);
  if (typeof fn !== 'function') throw new TypeError('fn: must be a function');
  return runOnFreshLease(
    leases,
    {
      ttlMs,
      owner: options.owner,
      take: (lease) => {
        const acquire: PermitAcquireOptions = {
          lease,
          ...pick(options),
          ...(waitMs === undefined ? {} : { waitMs }),
        };
        return semaphores.acquire(name, acquire);
      },
      refused: (permit) => {
        const why = `${permit.available ?? 0} free, ${permit.waiters ?? 0} waiting`;
        return new LockNotAcquiredError(name, `semaphore ${name}: permits were not acquired (${why})`);
      },
    },
    (lease, permit, fencingToken) => fn({ signal: lease.signal, fencingToken, lease, permit }),
  );
}

function pick(options: WithPermitOptions): Omit<PermitAcquireOptions, 'lease' | 'waitMs'> {
  const { limit, permits, signal } = options;
  return {
    ...(limit === undefined ? {} : { limit }),
    ...(permits === undefined ? {} : { permits }),
    ...(signal === undefined ? {} : { signal }),
  };
}
