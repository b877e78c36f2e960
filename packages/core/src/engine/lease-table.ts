import type { LeaseRow } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import { newLeaseId } from '../lease-id.js';
import type { Clock, LeaseApp, LeaseDetail } from '../types.js';
import { AppCounts } from './app-counts.js';
import type { Lease } from './engine-records.js';
import { leaseInfo, newLease } from './engine-records.js';
import type { EngineSink } from './engine-sink.js';
import { ExpiryHeap } from './expiry-heap.js';
import { keySetValues } from './key-set.js';

/**
 * The engine's leases: the live ones by id, their deadlines in one indexed heap (a keep-alive is
 * an in-place move) and their count per app. Journals lease rows; what a lease holds is the
 * engine's to release.
 */
export class LeaseTable {
  private readonly byId = new Map<string, Lease>();
  private readonly deadlines = new ExpiryHeap<Lease>();
  private readonly perApp = new AppCounts();

  constructor(
    private readonly clock: Clock,
    private readonly sink: EngineSink,
  ) {}

  /** How many leases are alive (or lapsed and not yet swept). */
  get size(): number {
    return this.byId.size;
  }

  /** How many leases `app` holds. */
  countOf(app: string): number {
    return this.perApp.of(app);
  }

  /** Loads leases from a snapshot, each countdown restarted at its full TTL from `now`. */
  restore(rows: readonly LeaseRow[], now: number): void {
    for (const row of rows) this.add(newLease(row), now + row.ttlMs);
  }

  /** Grants a new lease and journals its row. */
  grant(ttlMs: number, owner: string | undefined, app: string, implicit: boolean): Lease {
    const row: LeaseRow = {
      id: newLeaseId(),
      ttlMs,
      ...(owner === undefined ? {} : { owner }),
      app,
      implicit,
    };
    const lease = newLease(row);
    this.add(lease, this.clock.now() + ttlMs);
    this.sink.change({ kind: 'lease.put', row });
    return lease;
  }

  /** Restarts a lease's countdown at its full TTL. Not journaled: recovery restarts it anyway. */
  keepAlive(lease: Lease): void {
    this.deadlines.schedule(lease, this.clock.now() + lease.ttlMs);
  }

  /** Restarts many leases' countdowns at their full TTLs from `now`, in one pass over the heap. */
  keepAliveMany(leases: readonly Lease[], now: number): void {
    this.deadlines.rescheduleMany(leases, (lease) => now + lease.ttlMs);
  }

  /** A lease by id, whoever owns it, even lapsed and not yet swept. */
  get(leaseId: string): Lease | undefined {
    return this.byId.get(leaseId);
  }

  /** The lease if `app` may use it, even lapsed and not yet swept (a revoke may still end it). */
  owned(leaseId: string, app: LeaseApp): Lease | undefined {
    const lease = this.byId.get(leaseId);
    return lease && ownedBy(lease, app) ? lease : undefined;
  }

  /** The lease if `app` may use it and its deadline has not passed. */
  live(leaseId: string, app: LeaseApp): Lease | undefined {
    const lease = this.owned(leaseId, app);
    // Past its deadline but not yet swept: treat as gone, never extend it.
    if (!lease || lease.deadline <= this.clock.now()) return undefined;
    return lease;
  }

  /** As `live`, else LEASE_NOT_FOUND. */
  require(leaseId: string, app: LeaseApp): Lease {
    const lease = this.live(leaseId, app);
    if (!lease)
      throw new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${leaseId} not found or expired`, {
        field: 'leaseId',
      });
    return lease;
  }

  /** Forgets a lease and journals its deletion; what it held is left to the caller. */
  delete(lease: Lease): void {
    this.byId.delete(lease.id);
    this.deadlines.remove(lease);
    this.perApp.add(lease.app, -1);
    this.sink.change({ kind: 'lease.delete', id: lease.id });
  }

  /** A live lease as operators see it, with what it holds. */
  detail(leaseId: string, app: LeaseApp): LeaseDetail | undefined {
    const lease = this.live(leaseId, app);
    if (!lease) return undefined;
    return {
      ...leaseInfo(lease),
      ...(lease.implicit ? { implicit: true } : {}),
      remainingMs: Math.max(0, Math.round(lease.deadline - this.clock.now())),
      locks: keySetValues(lease.locks),
      keys: keySetValues(lease.keys),
    };
  }

  /** Up to `limit` live leases, in no particular order. */
  list(limit: number): LeaseDetail[] {
    const out: LeaseDetail[] = [];
    for (const id of this.byId.keys()) {
      if (out.length >= limit) break;
      const detail = this.detail(id, undefined);
      if (detail) out.push(detail);
    }
    return out;
  }

  /** The earliest lease deadline, on the engine's clock. */
  nextDeadline(): number | undefined {
    return this.deadlines.peekDeadline();
  }

  /** Takes up to `limit` lapsed leases off the heap, earliest first; they stay in the table until deleted. */
  popDue(now: number, limit: number): Lease[] {
    return this.deadlines.popDue(now, limit);
  }

  private add(lease: Lease, deadline: number): void {
    this.byId.set(lease.id, lease);
    this.deadlines.schedule(lease, deadline);
    this.perApp.add(lease.app, 1);
  }
}

/** True when `app` may use the lease: an admin (undefined) may use any. */
function ownedBy(lease: Lease, app: LeaseApp): boolean {
  return app === undefined || lease.app === app;
}
