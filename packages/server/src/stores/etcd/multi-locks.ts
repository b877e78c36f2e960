import { multiLockKeys, waitFor } from '@leasehold/core';
import type {
  AcquireAllOptions,
  AcquireAllResult,
  LeaseApp,
  MultiLockStore,
  ReleaseStatus,
} from '@leasehold/core';
import type { IResponseOp } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import type { DeleteHub } from './delete-hub.js';
import type { HoldTimers } from './hold-timers.js';
import { leaseGuard, leaseNotFound, requireLease, resolveLease } from './lease-guard.js';
import { releaseWrites, tokenOf } from './lock-value.js';
import { grantAll, tryCompares } from './multi-take.js';
import type { MultiOutcome, MultiRequest } from './multi-view.js';
import { heldBy, holdersOf, lookAt } from './multi-view.js';
import { waitInLine } from './multi-waiter.js';
import type { WaitsInProgress, WaiterGate } from './waiter-gate.js';

/**
 * All-or-nothing multi-locks on `lock.etcd` (primitives.md §5, ADR 0026): the locks are the store's
 * ordinary lock keys, all created in one transaction (one revision, one token), so nobody sees a
 * subset; a waiter joins every queue in one transaction and holds nothing until it takes all. It
 * shares the locks' delete hub, hold timers and waits, so closing the locks stops its waiters too.
 */
export class EtcdMultiLocks implements MultiLockStore {
  constructor(
    private readonly ctx: EtcdContext,
    private readonly hub: DeleteHub,
    private readonly holds: HoldTimers,
    private readonly waits: WaitsInProgress,
    private readonly hubReady: () => Promise<void>,
  ) {}

  acquireAll(options: AcquireAllOptions): Promise<AcquireAllResult> {
    return this.ctx.open(async () => {
      const keys = multiLockKeys(options.keys);
      const lease = await requireLease(this.ctx, options.leaseId, options.app);
      const { maxHoldMs, signal } = options;
      const req = { keys, lease, maxHoldMs };
      const waitMs = options.waitMs ?? 0;
      const outcome =
        waitMs <= 0 || signal?.aborted ? await this.attempt(req) : await this.waitForAll(req, waitMs, signal);
      const { result } = outcome;
      if (result.acquired && maxHoldMs !== undefined) {
        for (const key of outcome.taken)
          this.holds.schedule(key, result.fencingTokens[key]!, lease.app, maxHoldMs);
      }
      return result;
    });
  }

  /** Releases each key the lease holds in one transaction; a status per key, as a lock release answers. */
  releaseAll(
    keys: readonly string[],
    leaseId: string,
    app: LeaseApp,
  ): Promise<Record<string, ReleaseStatus>> {
    return this.ctx.open(async () => {
      const unique = multiLockKeys(keys);
      const lease = await resolveLease(this.ctx, leaseId, app);
      const statuses = await releaseEach(this.ctx, unique, lease);
      for (const key of unique) if (statuses[key] === 'released') this.holds.cancel(key);
      return statuses;
    });
  }

  private async waitForAll(req: MultiRequest, waitMs: number, signal: AbortSignal | undefined) {
    await this.hubReady();
    return this.waits.run(async (gate) => {
      // The loop does the work; this only turns the deadline and abort into a stop.
      const stopper = waitFor<void>({ waitMs, signal, onGiveUp: (why) => gate.stop(why) });
      try {
        return await this.attempt(req, gate);
      } finally {
        stopper.settle();
      }
    });
  }

  /**
   * Looks at every key; grants in one transaction when each is free (or the lease's) with nobody
   * queued; else refuses (a try) or waits in every queue. A try whose compares do not fit in one
   * transaction goes through the queues too, without waiting.
   */
  private async attempt(req: MultiRequest, gate?: WaiterGate): Promise<MultiOutcome> {
    for (;;) {
      const view = await lookAt(this.ctx, req.keys, req.lease);
      if (!view.leaseAlive) throw leaseNotFound(req.lease.id);
      const own = view.keys.filter((k) => heldBy(k, req.lease)).map((k) => k.key);
      const fresh = req.keys.filter((key) => !own.includes(key));
      if (fresh.length === 0) {
        const fencingTokens = Object.fromEntries(view.keys.map((k) => [k.key, tokenOf(k.lock!)]));
        return { result: { acquired: true, fencingTokens }, taken: [] };
      }
      const free = view.keys.every((k) => heldBy(k, req.lease) || (!k.lock && k.waiters === 0));
      const compares = free ? tryCompares(this.ctx, req, fresh) : undefined;
      if (compares) {
        const granted = await grantAll(this.ctx, req, fresh, view, compares);
        if (granted) return { result: granted, taken: fresh };
        if (!gate) continue; // lost a race: the next look says why
      }
      if (!gate && !free) {
        return {
          result: { acquired: false, holders: await holdersOf(this.ctx, view.keys, req.lease) },
          taken: [],
        };
      }
      const outcome = await waitInLine(this.ctx, this.hub, gate, req, own);
      if (outcome) return outcome;
    }
  }
}

/** One transaction: each key released if the lease holds it; the count of the others says whose. */
async function releaseEach(
  ctx: EtcdContext,
  keys: readonly string[],
  lease: LeaseRef | undefined,
): Promise<Record<string, ReleaseStatus>> {
  const counts = keys.map((key) => request.get(ctx.keys.lock(key), { count_only: true }));
  const statuses: Record<string, ReleaseStatus> = {};
  const answer = (key: string, count: IResponseOp | undefined) => {
    statuses[key] = Number(count?.response_range.count ?? 0) > 0 ? 'held_by_other' : 'not_held';
  };
  if (!lease) {
    const read = await ctx.conn.txn('releaseAll', [], counts);
    keys.forEach((key, i) => answer(key, read.responses[i]));
    return statuses;
  }
  const each = keys.map((key) => ({
    request_txn: {
      compare: [compare.lease(ctx.keys.lock(key), '=', lease.etcdId)],
      success: releaseWrites(ctx, key, lease.app),
      failure: [counts[keys.indexOf(key)]!],
    },
  }));
  const response = await ctx.conn.txn('releaseAll', [leaseGuard(ctx, lease)], each, counts);
  keys.forEach((key, i) => {
    const op = response.responses[i];
    if (!response.succeeded) return answer(key, op);
    const nested = op?.response_txn;
    if (nested?.succeeded) statuses[key] = 'released';
    else answer(key, nested?.responses[0]);
  });
  return statuses;
}
