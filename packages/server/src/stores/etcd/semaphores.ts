import { LeaseholdError, waitFor } from '@leasehold/core';
import type {
  LeaseApp,
  PermitAcquireOptions,
  PermitAcquireResult,
  PermitHolder,
  PermitReleaseStatus,
  SemaphoreInfo,
  SemaphoreStore,
} from '@leasehold/core';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import { HoldTimers } from './hold-timers.js';
import { requireLease, resolveLease } from './lease-guard.js';
import { acquirePermits } from './permit-waiter.js';
import type { PermitOutcome, PermitRequest } from './permit-waiter.js';
import { releaseGrantOf } from './pool-grants.js';
import type { PoolKind, PoolMeta, PoolState } from './pool-state.js';
import {
  decodeHolder,
  dropIfIdle,
  holderToken,
  holderWithToken,
  limitInForce,
  readPool,
  releaseHolder,
  usedOf,
} from './pool-state.js';
import { WaitsInProgress } from './waiter-gate.js';

const RESIZE_ATTEMPTS = 10;

/**
 * The semaphores of a `lock.etcd` store (design: primitives.md §1, ADR 0022): a pool's meta key is
 * the compare-and-swap every grant bumps, its holders and waiters are keys on their leases, so a
 * lease's end frees its permits and leaves its queue with no step of ours, and the head waiter,
 * watching the pool, takes the permits freed. Servers sharing the cluster share the pools.
 */
export class EtcdSemaphores implements SemaphoreStore {
  private readonly holds: HoldTimers;
  private readonly waits = new WaitsInProgress();

  constructor(private readonly ctx: EtcdContext) {
    // A timer names its grant by key and lease (one grant per lease), and releases it by token.
    this.holds = new HoldTimers((id, token) => {
      const [key] = JSON.parse(id) as [string, string];
      return releaseHolder(ctx, key, token);
    });
  }

  /** Takes permits; `kind` is the pool's kind if this acquire makes it (PoolRwLocks passes `rwlock`). */
  acquire(options: PermitAcquireOptions & { kind?: PoolKind }): Promise<PermitAcquireResult> {
    return this.ctx.open(async () => {
      const { key, signal, maxHoldMs } = options;
      const lease = await requireLease(this.ctx, options.leaseId, options.app);
      const kind = options.kind ?? 'semaphore';
      const req = { key, lease, limit: options.limit, permits: options.permits, maxHoldMs, kind };
      const waitMs = options.waitMs ?? 0;
      const { result, holdMs } =
        waitMs <= 0 || signal?.aborted
          ? await acquirePermits(this.ctx, req)
          : await this.waitInQueue(req, waitMs, signal);
      const hold = maxHoldMs ?? holdMs;
      if (result.acquired && hold !== undefined) {
        this.holds.schedule(JSON.stringify([key, lease.id]), result.fencingToken, lease.app, hold);
      }
      return result;
    });
  }

  /**
   * Deletes the lease's grant if the lease is alive and the caller's, granting in the same step the
   * waiters it lets in; an idle implicit pool goes too.
   */
  release(key: string, leaseId: string, app: LeaseApp): Promise<PermitReleaseStatus> {
    return this.ctx.open(async () => {
      const lease = await resolveLease(this.ctx, leaseId, app);
      if (!lease || !(await releaseGrantOf(this.ctx, key, lease))) return 'not_held';
      this.holds.cancel(JSON.stringify([key, lease.id]));
      await dropIfIdle(this.ctx, key).catch(() => undefined);
      return 'released';
    });
  }

  describe(key: string): Promise<SemaphoreInfo | undefined> {
    return this.ctx.open(async () => this.infoOf(key, await readPool(this.ctx, key)));
  }

  /** Pools named under `prefix` (the name entries, in key order), idle implicit ones left out. */
  list(prefix: string, limit: number): Promise<SemaphoreInfo[]> {
    return this.ctx.open(async () => {
      const start = this.ctx.keys.poolName(prefix);
      const range = { key: start, range_end: prefixEnd(start), keys_only: true };
      const names = await this.ctx.conn.range('listSemaphores', range);
      const out: SemaphoreInfo[] = [];
      for (const kv of names.kvs) {
        if (out.length >= limit) break;
        const key = this.ctx.keys.poolNameOf(kv.key);
        const info = await this.infoOf(key, await readPool(this.ctx, key));
        if (info) out.push(info);
      }
      return out;
    });
  }

  check(key: string, token: number): Promise<boolean> {
    return this.ctx.open(async () => (await holderWithToken(this.ctx, key, token)) !== undefined);
  }

  /** A compare-and-swap on the meta key: raising it wakes the head waiter, lowering revokes nothing. */
  setLimit(key: string, limit: number, ifLimit?: number): Promise<SemaphoreInfo> {
    return this.ctx.open(async () => {
      const { keys } = this.ctx;
      for (let attempt = 0; attempt < RESIZE_ATTEMPTS; attempt++) {
        const state = await readPool(this.ctx, key);
        const inForce = limitInForce(state);
        if (ifLimit !== undefined && inForce !== ifLimit) throw ifLimitMismatch(inForce, ifLimit);
        const meta: PoolMeta = { kind: 'semaphore', limit, explicit: true };
        const response = await this.ctx.conn.txn(
          'setSemaphoreLimit',
          [compare.modified(keys.poolMeta(key), '=', state.metaMod)],
          [request.put(keys.poolMeta(key), JSON.stringify(meta)), request.put(keys.poolName(key), '')],
        );
        if (response.succeeded) return (await this.infoOf(key, await readPool(this.ctx, key)))!;
      }
      throw new LeaseholdError('UNAVAILABLE', 'setLimit: the semaphore kept changing; try again');
    });
  }

  /** Stops hold timers; waiters leave their queues (so no other server waits behind them), then fail. */
  async close(): Promise<void> {
    this.holds.close();
    await this.waits.close();
  }

  private waitInQueue(
    req: PermitRequest,
    waitMs: number,
    signal: AbortSignal | undefined,
  ): Promise<PermitOutcome> {
    return this.waits.run(async (gate) => {
      // The waiter's loop does the work; this only turns its deadline and abort into a stop.
      const stopper = waitFor<void>({ waitMs, signal, onGiveUp: (why) => gate.stop(why) });
      try {
        return await acquirePermits(this.ctx, req, gate);
      } finally {
        stopper.settle();
      }
    });
  }

  /** The pool as describe shows it; undefined when absent or idle and implicit. */
  private async infoOf(key: string, state: PoolState): Promise<SemaphoreInfo | undefined> {
    const limit = limitInForce(state);
    if (limit === undefined) return undefined;
    const sorted = [...state.holders].sort((a, b) => holderToken(a) - holderToken(b));
    const holders = await Promise.all(
      sorted.map(async (kv): Promise<PermitHolder> => {
        const value = decodeHolder(kv);
        const owner = (await this.ctx.leases.find(value.leaseId))?.owner;
        return {
          leaseId: value.leaseId,
          app: value.app ?? '',
          ...(owner === undefined ? {} : { owner }),
          permits: value.permits,
          fencingToken: holderToken(kv),
          acquiredAt: value.acquiredAt,
        };
      }),
    );
    return { key, limit, used: usedOf(state), holders, waiters: state.queue.length };
  }
}

function ifLimitMismatch(inForce: number | undefined, given: number): LeaseholdError {
  const stored = inForce === undefined ? 'the semaphore does not exist' : `its limit is ${inForce}`;
  return new LeaseholdError('LIMIT_MISMATCH', `ifLimit: ${given} given, but ${stored}`, { field: 'ifLimit' });
}
