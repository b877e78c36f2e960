import { LeaseLostError, LockNotAcquiredError } from './errors.js';
import type { Lease } from './lease.js';
import type { LeasesApi } from './leases-api.js';
import { describeHolder } from './lock-handle.js';
import type { LockHandle } from './lock-handle.js';
import type { AcquireOptions, LocksApi } from './locks-api.js';
import { optionalMs, requireMs, requireString } from './validate.js';

/** Options of withLock. */
export interface WithLockOptions {
  /** TTL of the lease granted for the duration of the routine. */
  readonly ttlMs: number;
  /** How long to wait for the lock; default 0 (fail at once if held). */
  readonly waitMs?: number;
  /** Caps how long the lock is held: renewal stops and `signal` aborts when it is reached. */
  readonly maxHoldMs?: number;
  readonly owner?: string;
  /** Aborts the wait. */
  readonly signal?: AbortSignal;
}

/** What the routine gets. */
export interface LockContext {
  /** Aborted with a LeaseLostError when the lock can no longer be proven held. */
  readonly signal: AbortSignal;
  readonly fencingToken: number;
  readonly lease: Lease;
  readonly lock: LockHandle;
}

/** The longest a release and revoke go on in the background after the signal fired. */
const BACKGROUND_CLEANUP_MAX_MS = 10_000;

/**
 * Grants a lease, waits for the lock, runs `fn`, then — after any keep-alive in flight —
 * releases the lock and revokes the lease, whatever `fn` did. Once the signal has fired the
 * lock is not ours to wait on: it rejects at once with the signal's reason (without waiting for
 * `fn`) and releases and revokes in the background, bounded by the TTL.
 */
export async function withLock<T>(
  leases: LeasesApi,
  locks: LocksApi,
  name: string,
  options: WithLockOptions,
  fn: (context: LockContext) => Promise<T> | T,
): Promise<T> {
  requireString('name', name);
  const ttlMs = requireMs('ttlMs', options?.ttlMs, 1);
  const maxHoldMs = optionalMs('maxHoldMs', options.maxHoldMs, 1);
  if (typeof fn !== 'function') throw new TypeError('fn: must be a function');
  const lease = await leases.grant(options.owner === undefined ? { ttlMs } : { ttlMs, owner: options.owner });
  let lock: LockHandle | undefined;
  let held: AbortSignal | undefined;
  let stopHolding: (() => void) | undefined;
  try {
    const sentAt = performance.now();
    lock = await locks.acquire(name, acquireOptions(lease, options, maxHoldMs));
    if (!lock.acquired || lock.fencingToken === undefined) {
      const held = describeHolder(lock.holder);
      const holder = held === '' ? '' : ` (held by ${held})`;
      throw new LockNotAcquiredError(name, `lock ${name} was not acquired${holder}`);
    }
    let signal = lease.signal;
    if (maxHoldMs !== undefined) ({ signal, stop: stopHolding } = holdCap(lease, maxHoldMs, sentAt));
    held = signal;
    return await untilAborted(fn({ signal, fencingToken: lock.fencingToken, lease, lock }), signal);
  } finally {
    stopHolding?.();
    if (held?.aborted) {
      // The server may be gone: a release would wait for a connection that may never come.
      void letGo(leases, lease, lock, Math.min(ttlMs, BACKGROUND_CLEANUP_MAX_MS));
    } else {
      await lease.settled();
      if (lock?.acquired) await lock.release().catch(() => undefined);
      await leases.revoke(lease).catch(() => undefined);
    }
  }
}

/**
 * A signal that aborts when the lease is lost or `maxHoldMs` after `sentAt`, whichever comes
 * first. It follows the lease through the lease's own loss hook, not a composite signal.
 */
function holdCap(lease: Lease, maxHoldMs: number, sentAt: number): { signal: AbortSignal; stop: () => void } {
  const held = new AbortController();
  const left = sentAt + maxHoldMs - performance.now();
  lease.stopRenewingAfter(left);
  const timer = setTimeout(
    () => held.abort(new LeaseLostError(lease.id, `maxHoldMs ${maxHoldMs} reached`)),
    left,
  );
  timer.unref();
  if (lease.signal.aborted) held.abort(lease.signal.reason);
  const unfollow = lease.onLost((error) => held.abort(error));
  return {
    signal: held.signal,
    stop: () => {
      clearTimeout(timer);
      unfollow();
    },
  };
}

/** The acquire's options, built without spreads: withLock runs once per critical section. */
function acquireOptions(
  lease: Lease,
  options: WithLockOptions,
  maxHoldMs: number | undefined,
): AcquireOptions {
  const acquire: { lease: Lease; waitMs?: number; maxHoldMs?: number; signal?: AbortSignal } = { lease };
  if (options.waitMs !== undefined) acquire.waitMs = options.waitMs;
  if (maxHoldMs !== undefined) acquire.maxHoldMs = maxHoldMs;
  if (options.signal) acquire.signal = options.signal;
  return acquire;
}

/** `work`'s outcome, or `signal`'s reason as soon as it aborts; `work` is then left to itself. */
export function untilAborted<T>(work: Promise<T> | T, signal: AbortSignal): Promise<T> {
  const running = Promise.resolve(work);
  if (signal.aborted) {
    running.catch(() => undefined); // abandoned: its failure must not go unhandled
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      running.catch(() => undefined);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Something held on a lease that can be let go: a lock or permits. */
interface Releasable {
  readonly acquired: boolean;
  release(options: { timeoutMs?: number }): Promise<string>;
}

/** Releases and revokes without anyone waiting, each call bounded by `timeoutMs`. */
export async function letGo(
  leases: LeasesApi,
  lease: Lease,
  lock: Releasable | undefined,
  timeoutMs: number,
): Promise<void> {
  if (lock?.acquired) await lock.release({ timeoutMs }).catch(() => undefined);
  await leases.revoke(lease, { timeoutMs }).catch(() => undefined);
}
