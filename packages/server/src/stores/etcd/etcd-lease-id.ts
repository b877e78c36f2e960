import { newLeaseId } from '@leasehold/core';

/** A lease as an operation names it: the public id, etcd's own id, and the app it is checked against. */
export interface LeaseRef {
  /** The public id: what clients hold, and the name of the lease record (`l/<id>`). */
  readonly id: string;
  /** etcd's lease id in decimal, as the etcd client wants it. */
  readonly etcdId: string;
  /** The app the lease must belong to; undefined only for a record from before leases had apps. */
  readonly app: string | undefined;
}

// etcd lease ids are positive int64s: 16 hex characters, then 32 of random nonce.
const PUBLIC_ID = /^[0-9a-f]{48}$/;
// Ids handed out before nonces: etcd's own id in decimal. Only an admin can still use one.
const LEGACY_ID = /^[1-9][0-9]{0,18}$/;
const MAX_ETCD_ID = 2n ** 63n - 1n;

/** A new public id for etcd lease `etcdId`: its id as 16 hex characters, then 128 random bits. */
export function publicLeaseId(etcdId: string): string {
  return BigInt(etcdId).toString(16).padStart(16, '0') + newLeaseId();
}

/** etcd's lease id (decimal) inside a public or legacy id; undefined when `id` can name no lease. */
export function etcdLeaseIdOf(id: string): string | undefined {
  let value: bigint;
  if (PUBLIC_ID.test(id)) value = BigInt(`0x${id.slice(0, 16)}`);
  else if (LEGACY_ID.test(id)) value = BigInt(id);
  else return undefined;
  return value > 0n && value <= MAX_ETCD_ID ? value.toString() : undefined;
}

/** True for an id of the current format (a legacy id has no nonce and no app). */
export function isPublicLeaseId(id: string): boolean {
  return PUBLIC_ID.test(id);
}

/** The prefix every public id of etcd lease `etcdId` starts with. */
export function publicIdPrefix(etcdId: string): string {
  return BigInt(etcdId).toString(16).padStart(16, '0');
}
