import type { Lease, LeaseholdClient } from '@leasehold/client';

/** Grants `count` leases, `inFlight` at a time; returns them in grant order. */
export async function grantLeases(
  client: LeaseholdClient,
  count: number,
  ttlMs: number,
  inFlight = 256,
): Promise<Lease[]> {
  const leases: Lease[] = [];
  for (let i = 0; i < count; i += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, count - i) }, () => client.leases.grant({ ttlMs }));
    leases.push(...(await Promise.all(batch)));
  }
  return leases;
}

/** Revokes every lease, `inFlight` at a time. */
export async function revokeLeases(leases: readonly Lease[], inFlight = 256): Promise<void> {
  for (let i = 0; i < leases.length; i += inFlight) {
    await Promise.all(leases.slice(i, i + inFlight).map((lease) => lease.revoke()));
  }
}
