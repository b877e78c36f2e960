/** What the lease record (a key attached to the lease) remembers about its lease. */
export interface LeaseRecord {
  readonly ttlMs: number;
  readonly owner?: string;
  /** The app that granted the lease; absent on records from before leases had apps (admins only). */
  readonly app?: string;
  /** Granted by Dapr TryLock; Dapr Unlock revokes it. */
  readonly implicit?: boolean;
  /** Set just before a revoke, so watchers can tell a revoke from an expiry. */
  readonly revoking?: boolean;
}

/** Encodes a lease record. */
export function encodeLease(record: LeaseRecord): string {
  return JSON.stringify(record);
}

/** Decodes a lease record; undefined for a missing or foreign value. */
export function decodeLease(value: Buffer | undefined): LeaseRecord | undefined {
  if (!value) return undefined;
  try {
    const record = JSON.parse(value.toString()) as unknown;
    return typeof record === 'object' && record !== null ? (record as LeaseRecord) : undefined;
  } catch {
    return undefined;
  }
}
