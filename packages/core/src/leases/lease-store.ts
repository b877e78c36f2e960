import type { LeaseApp, LeaseDetail, LeaseInfo } from '../types.js';

/** Options of a lease grant. */
export interface GrantOptions {
  readonly ttlMs: number;
  readonly owner?: string;
  /** The app granting the lease: it owns the lease for its whole life. */
  readonly app: string;
  /** Made by a Dapr TryLock: it holds that one lock, and the Dapr Unlock ends it whole. */
  readonly implicit?: boolean;
}

/**
 * The leases of a store. Every method that takes a lease id also takes a LeaseApp and treats
 * another app's lease exactly as a missing one, atomically with the operation.
 */
export interface LeaseStore {
  /** Grants a new lease, owned by `options.app`, with an unguessable id; its countdown starts now. */
  grant(options: GrantOptions): Promise<LeaseInfo>;
  /** Restarts a lease's countdown; undefined when it is unknown, expired or another app's. */
  keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined>;
  /**
   * Restarts many leases' countdowns in one pass, as keepAlive does for each (no journal revision,
   * no event); returns the ids that are unknown, expired or another app's.
   */
  keepAliveMany?(leaseIds: readonly string[], app: LeaseApp): Promise<string[]>;
  /** Ends a lease, releasing its locks and deleting its keys; false when gone or another app's. */
  revoke(leaseId: string, app: LeaseApp): Promise<boolean>;
  /** Describes a live lease (with its app); undefined when unknown, expired or another app's. */
  get(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined>;
  /** Lists live leases, at most `limit`, where the store can do so cheaply. */
  list?(limit: number): Promise<LeaseDetail[]>;
}
