import { LeaseholdError, storeError } from '@leasehold/core';
import type { LeaseDetail, LeaseInfo } from '@leasehold/core';
import { EtcdLeaseInvalidError } from 'etcd3';
import type { EtcdConnection } from './etcd-connection.js';
import { compare, request } from './etcd-connection.js';
import type { EtcdKeys } from './etcd-keys.js';

/** What the lease record (a key attached to the lease) remembers about its lease. */
export interface LeaseRecord {
  readonly ttlMs: number;
  readonly owner?: string;
  /** Granted by Dapr TryLock; Dapr Unlock revokes it. */
  readonly implicit?: boolean;
  /** Set just before a revoke, so watchers can tell a revoke from an expiry. */
  readonly revoking?: boolean;
}

/** The connection and key layout every store operation needs. */
export interface EtcdContext {
  readonly conn: EtcdConnection;
  readonly keys: EtcdKeys;
}

// Leasehold lease ids are etcd lease ids in decimal; anything else names no lease.
const LEASE_ID = /^[1-9][0-9]{0,18}$/;

const MAX_LEASE_ID = 2n ** 63n - 1n;

/** True when `id` can be an etcd lease id (a positive int64). */
export function isLeaseId(id: string): boolean {
  return LEASE_ID.test(id) && BigInt(id) <= MAX_LEASE_ID;
}

/** The LEASE_NOT_FOUND error of an unknown or ended lease. */
export function leaseNotFound(leaseId: string): LeaseholdError {
  return new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${leaseId} not found or expired`, {
    field: 'leaseId',
  });
}

/** Encodes a lease record. */
export function encodeLease(record: LeaseRecord): string {
  return JSON.stringify(record);
}

/** Decodes a lease record; a foreign value reads as an anonymous lease. */
export function decodeLease(value: Buffer | undefined): LeaseRecord | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value.toString()) as LeaseRecord;
  } catch {
    return undefined;
  }
}

/** Grants a bare etcd lease; its TTL is `ttlMs` rounded up to whole seconds (or etcd's minimum). */
export async function grantRawLease(ctx: EtcdContext, ttlMs: number): Promise<{ id: string; ttlMs: number }> {
  try {
    const granted = await ctx.conn.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000) });
    if (granted.error) throw new Error(granted.error);
    return { id: granted.ID, ttlMs: Number(granted.TTL) * 1000 };
  } catch (error) {
    throw storeError('grantLease', error);
  }
}

/** Grants a lease and writes its record on it. */
export async function grantLease(ctx: EtcdContext, ttlMs: number, owner?: string): Promise<LeaseInfo> {
  const lease = await grantRawLease(ctx, ttlMs);
  const record: LeaseRecord = { ttlMs: lease.ttlMs, ...(owner === undefined ? {} : { owner }) };
  try {
    await ctx.conn.client.kv.put({
      key: ctx.keys.lease(lease.id),
      value: Buffer.from(encodeLease(record)),
      lease: lease.id,
    });
  } catch (error) {
    await revokeLease(ctx, lease.id).catch(() => undefined);
    throw storeError('grantLease', error);
  }
  return { id: lease.id, ...record };
}

/** Reads a lease record; undefined when the lease is gone. */
export async function readLease(ctx: EtcdContext, leaseId: string): Promise<LeaseRecord | undefined> {
  const response = await ctx.conn.range('getLease', { key: ctx.keys.lease(leaseId) });
  return decodeLease(response.kvs[0]?.value);
}

/** One keep-alive round trip on its own short stream; undefined when etcd no longer knows the lease. */
export async function keepAlive(ctx: EtcdContext, leaseId: string): Promise<LeaseInfo | undefined> {
  if (!isLeaseId(leaseId)) return undefined;
  const ttlSeconds = await keepAliveOnce(ctx, leaseId);
  if (ttlSeconds <= 0) return undefined;
  const record = await readLease(ctx, leaseId);
  return {
    id: leaseId,
    ttlMs: ttlSeconds * 1000,
    ...(record?.owner === undefined ? {} : { owner: record.owner }),
  };
}

async function keepAliveOnce(ctx: EtcdContext, leaseId: string): Promise<number> {
  let stream;
  try {
    stream = await ctx.conn.client.leaseClient.leaseKeepAlive();
  } catch (error) {
    throw storeError('keepAlive', error);
  }
  const opened = stream;
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no keep-alive answer in ${ctx.conn.config.timeoutMs} ms`)),
        ctx.conn.config.timeoutMs,
      );
      timer.unref();
      opened.on('data', (response) => {
        clearTimeout(timer);
        resolve(Number(response.TTL));
      });
      opened.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      opened.write({ ID: leaseId });
    });
  } catch (error) {
    throw storeError('keepAlive', error);
  } finally {
    opened.cancel();
  }
}

/**
 * Revokes a lease; etcd deletes every key on it in the same step. False when it was gone. The record
 * is first marked `revoking`, so a record deleted without the mark is an expiry (see etcd-watch).
 */
export async function revokeLease(ctx: EtcdContext, leaseId: string): Promise<boolean> {
  if (!isLeaseId(leaseId)) return false;
  const recordKey = ctx.keys.lease(leaseId);
  try {
    const current = await ctx.conn.range('revokeLease', { key: recordKey });
    const record = decodeLease(current.kvs[0]?.value);
    if (record && !record.revoking) {
      await ctx.conn.txn(
        'revokeLease',
        [compare.version(recordKey, '>', 0)],
        [request.put(recordKey, encodeLease({ ...record, revoking: true }), leaseId)],
      );
    }
    await ctx.conn.client.leaseClient.leaseRevoke({ ID: leaseId });
    return true;
  } catch (error) {
    if (error instanceof EtcdLeaseInvalidError) return false;
    throw storeError('revokeLease', error);
  }
}

/** Describes a live lease from etcd's TTL and the keys attached to it. */
export async function getLease(ctx: EtcdContext, leaseId: string): Promise<LeaseDetail | undefined> {
  if (!isLeaseId(leaseId)) return undefined;
  let ttl;
  try {
    ttl = await ctx.conn.client.leaseClient.leaseTimeToLive({ ID: leaseId, keys: true });
  } catch (error) {
    if (error instanceof EtcdLeaseInvalidError) return undefined;
    throw storeError('getLease', error);
  }
  if (Number(ttl.TTL) < 0) return undefined;
  const record = await readLease(ctx, leaseId);
  const locks: string[] = [];
  const keys: string[] = [];
  for (const physical of ttl.keys) {
    const parsed = ctx.keys.parse(physical);
    if (parsed?.family === 'lock') locks.push(parsed.key);
    else if (parsed?.family === 'value') keys.push(parsed.key);
  }
  return {
    id: leaseId,
    ttlMs: Number(ttl.grantedTTL) * 1000,
    ...(record?.owner === undefined ? {} : { owner: record.owner }),
    // etcd reports whole seconds left, rounded down.
    remainingMs: Number(ttl.TTL) * 1000,
    locks,
    keys,
  };
}
