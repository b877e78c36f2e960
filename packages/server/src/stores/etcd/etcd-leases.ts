import { LeaseholdError, storeError } from '@leasehold/core';
import type { LeaseApp, LeaseDetail, LeaseInfo } from '@leasehold/core';
import type { ICompare } from 'etcd3';
import { EtcdLeaseInvalidError } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import type { LeaseRef } from './etcd-lease-id.js';
import { etcdLeaseIdOf, publicLeaseId } from './etcd-lease-id.js';
import type { LeaseFacts } from './lease-directory.js';
import type { LeaseRecord } from './lease-record.js';
import { encodeLease } from './lease-record.js';

/** The LEASE_NOT_FOUND error of an unknown, ended or another app's lease. */
export function leaseNotFound(leaseId: string): LeaseholdError {
  return new LeaseholdError('LEASE_NOT_FOUND', `leaseId: lease ${leaseId} not found or expired`, {
    field: 'leaseId',
  });
}

/**
 * The lease `leaseId` as `app` may name it, or undefined when it names none. An app's reference
 * costs no round trip: the app's index key is compared in the operation's own transaction (see
 * leaseGuard). An admin's costs a record read (cached), to learn whose lease it is.
 */
export async function resolveLease(
  ctx: EtcdContext,
  leaseId: string,
  app: LeaseApp,
): Promise<LeaseRef | undefined> {
  const etcdId = etcdLeaseIdOf(leaseId);
  if (etcdId === undefined) return undefined;
  if (app !== undefined) return { id: leaseId, etcdId, app };
  const facts = await ctx.leases.find(leaseId);
  return facts && { id: leaseId, etcdId, app: facts.app };
}

/** The key whose existence proves the lease alive, its nonce right and its app `ref.app`. */
export function leaseGuardKey(ctx: EtcdContext, ref: LeaseRef): Buffer {
  return ref.app === undefined ? ctx.keys.lease(ref.id) : ctx.keys.appLease(ref.app, ref.id);
}

/** The transaction compare of leaseGuardKey: another app's lease, a wrong nonce and an ended lease fail it. */
export function leaseGuard(ctx: EtcdContext, ref: LeaseRef): ICompare {
  return compare.version(leaseGuardKey(ctx, ref), '>', 0);
}

/** The facts of lease `leaseId` if `app` may use it (an admin may use any). Says nothing of liveness. */
export async function findLease(
  ctx: EtcdContext,
  leaseId: string,
  app: LeaseApp,
): Promise<LeaseFacts | undefined> {
  const facts = await ctx.leases.find(leaseId);
  return facts && (app === undefined || facts.app === app) ? facts : undefined;
}

/** Grants a bare etcd lease; its TTL is `ttlMs` rounded up to whole seconds (or etcd's minimum). */
export async function grantRawLease(
  ctx: EtcdContext,
  ttlMs: number,
): Promise<{ etcdId: string; ttlMs: number }> {
  try {
    const granted = await ctx.conn.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000) });
    if (granted.error) throw new Error(granted.error);
    return { etcdId: granted.ID, ttlMs: Number(granted.TTL) * 1000 };
  } catch (error) {
    throw storeError('grantLease', error);
  }
}

/** The record of a new lease of `app` and the writes that create it with its index entry. */
export function newLease(
  ctx: EtcdContext,
  raw: { etcdId: string; ttlMs: number },
  record: Omit<LeaseRecord, 'ttlMs'> & { app: string },
) {
  const facts: LeaseFacts = {
    ...record,
    ttlMs: raw.ttlMs,
    id: publicLeaseId(raw.etcdId),
    etcdId: raw.etcdId,
  };
  const { id: _id, etcdId: _etcdId, ...stored } = facts;
  return {
    facts,
    writes: [
      request.put(ctx.keys.lease(facts.id), encodeLease(stored), raw.etcdId),
      request.put(ctx.keys.appLease(record.app, facts.id), '', raw.etcdId),
    ],
  };
}

/** The public view of a lease. */
export function leaseInfo(facts: LeaseFacts, ttlMs = facts.ttlMs): LeaseInfo {
  return {
    id: facts.id,
    ttlMs,
    ...(facts.owner === undefined ? {} : { owner: facts.owner }),
    ...(facts.app === undefined ? {} : { app: facts.app }),
  };
}

/** Grants a lease of `app` and writes its record and index entry on it, in one transaction. */
export async function grantLease(
  ctx: EtcdContext,
  ttlMs: number,
  owner: string | undefined,
  app: string,
): Promise<LeaseInfo> {
  const raw = await grantRawLease(ctx, ttlMs);
  const lease = newLease(ctx, raw, { app, ...(owner === undefined ? {} : { owner }) });
  try {
    await ctx.conn.txn('grantLease', [], lease.writes);
  } catch (error) {
    await revokeRawLease(ctx, raw.etcdId).catch(() => undefined);
    throw error;
  }
  ctx.leases.remember(lease.facts);
  return leaseInfo(lease.facts);
}

/** One keep-alive round trip on its own short stream (after a record read on a cache miss). */
export async function keepAlive(
  ctx: EtcdContext,
  leaseId: string,
  app: LeaseApp,
): Promise<LeaseInfo | undefined> {
  const facts = await findLease(ctx, leaseId, app);
  if (!facts) return undefined;
  const ttlSeconds = await keepAliveOnce(ctx, facts.etcdId);
  return ttlSeconds > 0 ? leaseInfo(facts, ttlSeconds * 1000) : undefined;
}

async function keepAliveOnce(ctx: EtcdContext, etcdId: string): Promise<number> {
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
      opened.write({ ID: etcdId });
    });
  } catch (error) {
    throw storeError('keepAlive', error);
  } finally {
    opened.cancel();
  }
}

/** Revokes lease `leaseId` if `app` may; false when it is gone, unknown or another app's. */
export async function revokeLease(ctx: EtcdContext, leaseId: string, app: LeaseApp): Promise<boolean> {
  const facts = await findLease(ctx, leaseId, app);
  return facts ? revoke(ctx, facts) : false;
}

/**
 * Revokes a lease; etcd deletes every key on it in the same step. False when it was gone. The record
 * is first marked `revoking` (only while it exists), so a record deleted without the mark is an expiry.
 */
export async function revoke(ctx: EtcdContext, facts: LeaseFacts): Promise<boolean> {
  const recordKey = ctx.keys.lease(facts.id);
  const { id: _id, etcdId, ...record } = facts;
  const marked = await ctx.conn.txn(
    'revokeLease',
    [compare.version(recordKey, '>', 0)],
    [request.put(recordKey, encodeLease({ ...record, revoking: true }), etcdId)],
  );
  if (!marked.succeeded) return false;
  return revokeRawLease(ctx, etcdId);
}

/** Revokes an etcd lease by its own id; false when etcd no longer knows it. */
export async function revokeRawLease(ctx: EtcdContext, etcdId: string): Promise<boolean> {
  try {
    await ctx.conn.client.leaseClient.leaseRevoke({ ID: etcdId });
    return true;
  } catch (error) {
    if (error instanceof EtcdLeaseInvalidError) return false;
    throw storeError('revokeLease', error);
  }
}

/** Describes a live lease from etcd's TTL and the keys attached to it. */
export async function getLease(
  ctx: EtcdContext,
  leaseId: string,
  app: LeaseApp,
): Promise<LeaseDetail | undefined> {
  const facts = await findLease(ctx, leaseId, app);
  if (!facts) return undefined;
  let ttl;
  try {
    ttl = await ctx.conn.client.leaseClient.leaseTimeToLive({ ID: facts.etcdId, keys: true });
  } catch (error) {
    if (error instanceof EtcdLeaseInvalidError) return undefined;
    throw storeError('getLease', error);
  }
  if (Number(ttl.TTL) < 0) return undefined;
  const locks: string[] = [];
  const keys: string[] = [];
  for (const physical of ttl.keys) {
    const parsed = ctx.keys.parse(physical);
    if (parsed?.family === 'lock') locks.push(parsed.key);
    else if (parsed?.family === 'value') keys.push(parsed.key);
  }
  return {
    ...leaseInfo(facts, Number(ttl.grantedTTL) * 1000),
    // etcd reports whole seconds left, rounded down.
    remainingMs: Number(ttl.TTL) * 1000,
    locks,
    keys,
  };
}
