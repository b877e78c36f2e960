import type { Lease, LeaseholdClient } from '@leasehold/client';

/**
 * In flight at once: enough to keep a server busy, few enough that lock.etcd (each grant and revoke
 * a Raft write or more) answers within its 5 s call deadline on a loaded machine.
 */
const IN_FLIGHT = 64;

/** Grants `count` leases, `inFlight` at a time; returns them in grant order. */
export async function grantLeases(
  client: LeaseholdClient,
  count: number,
  ttlMs: number,
  inFlight = IN_FLIGHT,
): Promise<Lease[]> {
  const leases: Lease[] = [];
  for (let i = 0; i < count; i += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, count - i) }, () => client.leases.grant({ ttlMs }));
    leases.push(...(await Promise.all(batch)));
  }
  return leases;
}

/**
 * Revokes every lease, `inFlight` at a time, as a scenario's cleanup: a failure is counted and
 * reported, not thrown, so that it cannot hide the figures already measured.
 */
export async function revokeLeases(leases: readonly Lease[], inFlight = IN_FLIGHT): Promise<void> {
  let failed = 0;
  let first: unknown;
  for (let i = 0; i < leases.length; i += inFlight) {
    const batch = leases.slice(i, i + inFlight).map((lease) => lease.revoke());
    for (const outcome of await Promise.allSettled(batch)) {
      if (outcome.status === 'rejected') first ??= outcome.reason;
      if (outcome.status === 'rejected') failed++;
    }
  }
  if (failed > 0)
    console.warn(`cleanup: ${failed} of ${leases.length} revokes failed, first: ${String(first)}`);
}
