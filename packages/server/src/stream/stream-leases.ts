import { LeaseholdError } from '@leasehold/core';
import type { Caller, LeaseholdService } from '@leasehold/core';

type Log = (msg: string, err?: unknown) => void;

/** What the old heartbeat (`ping`) answers: every lease renewed, and the ones lost. */
export interface PingResult {
  readonly renewed: { store: string; leaseId: string; ttlMs: number }[];
  readonly lost: { store: string; leaseId: string; errorCode: string }[];
}

/**
 * The leases a stream connection keeps alive, as bare ids in one set per store (no object per
 * lease), and the two heartbeats that renew them: `heartbeat`, one bulk keep-alive per store
 * answering only the leases lost, and the older `ping`, still served to older SDKs.
 */
export class StreamLeases {
  private readonly byStore = new Map<string, Set<string>>();

  constructor(
    private readonly caller: Caller,
    private readonly service: LeaseholdService,
    private readonly log: Log,
  ) {}

  /** Puts a lease under this connection's heartbeat; false when it already was. */
  add(store: string, leaseId: string): boolean {
    let ids = this.byStore.get(store);
    if (!ids) this.byStore.set(store, (ids = new Set()));
    if (ids.has(leaseId)) return false;
    ids.add(leaseId);
    return true;
  }

  /** Stops renewing a lease (revoked, or forgotten by the client). */
  delete(store: string, leaseId: string): void {
    this.byStore.get(store)?.delete(leaseId);
  }

  /** Forgets every lease: the connection is gone. */
  clear(): void {
    this.byStore.clear();
  }

  /**
   * Renews every lease of `store` on this connection in one bulk keep-alive and returns the ids
   * it found gone, which stop being renewed. A store failure throws: nothing was acknowledged.
   */
  async heartbeat(store: string): Promise<{ lost: string[] }> {
    this.service.binding(store); // STORE_NOT_FOUND, as any op naming a store that is not configured
    const ids = this.byStore.get(store);
    if (!ids || ids.size === 0) return { lost: [] };
    const lost = await this.service.leases.keepAliveMany(this.caller, store, [...ids]);
    for (const id of lost) ids.delete(id);
    return { lost };
  }

  /** The old heartbeat: one keep-alive per lease of every store, answering each lease's fate. */
  async ping(): Promise<PingResult> {
    const result: PingResult = { renewed: [], lost: [] };
    const renewals: Promise<void>[] = [];
    for (const [store, ids] of this.byStore) {
      for (const leaseId of ids) renewals.push(this.renewOne(store, leaseId, ids, result));
    }
    await Promise.all(renewals);
    return result;
  }

  private async renewOne(
    store: string,
    leaseId: string,
    ids: Set<string>,
    result: PingResult,
  ): Promise<void> {
    try {
      const lease = await this.service.leases.keepAlive(this.caller, store, leaseId);
      result.renewed.push({ store, leaseId, ttlMs: lease.ttlMs });
    } catch (error) {
      if (
        !(error instanceof LeaseholdError) ||
        error.code === 'STORE_ERROR' ||
        error.code === 'UNAVAILABLE'
      ) {
        this.log('stream heartbeat could not renew a lease', error);
        return;
      }
      ids.delete(leaseId);
      result.lost.push({ store, leaseId, errorCode: error.code });
    }
  }
}
