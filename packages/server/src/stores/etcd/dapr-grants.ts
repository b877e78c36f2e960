import type { LeaseApp } from '@leasehold/core';

/** A Dapr TryLock this server granted: the implicit lease that took the lock, and its owner. */
export interface DaprGrant {
  readonly leaseId: string;
  readonly owner: string;
  readonly app: string;
}

// A bound on memory: an entry whose lock expired unseen is only a hint, so dropping the oldest is safe.
const MAX_GRANTS = 4_096;

/**
 * The Dapr grants this server made, by lock key, so Dapr's Unlock can go straight to one transaction
 * naming the lease (no read first). A hint only: the transaction checks that the lease still holds the
 * lock, and anything it cannot settle takes core's general path.
 */
export class DaprGrants {
  private readonly byKey = new Map<string, DaprGrant>();

  /** Notes that `grant` took lock `key`. */
  remember(key: string, grant: DaprGrant): void {
    this.byKey.delete(key);
    this.byKey.set(key, grant);
    if (this.byKey.size > MAX_GRANTS) {
      const oldest = this.byKey.keys().next().value;
      if (oldest !== undefined) this.byKey.delete(oldest);
    }
  }

  /** The grant of `key` when `owner` of `app` (any app for an admin) made it, forgotten once taken. */
  take(key: string, owner: string, app: LeaseApp): DaprGrant | undefined {
    const grant = this.byKey.get(key);
    if (!grant || grant.owner !== owner || (app !== undefined && grant.app !== app)) return undefined;
    this.byKey.delete(key);
    return grant;
  }
}
