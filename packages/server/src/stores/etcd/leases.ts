import { storeError } from '@leasehold/core';
import type { GrantOptions, LeaseApp, LeaseDetail, LeaseInfo, LeaseStore } from '@leasehold/core';
import { EtcdLeaseInvalidError } from 'etcd3';
import type { IRequestOp } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { publicLeaseId } from './etcd-lease-id.js';
import type { LeaseFacts } from './lease-directory.js';
import { leaseGuardKey } from './lease-guard.js';
import { encodeLease } from './lease-record.js';

/**
 * The leases of a `lock.etcd` store: each one an etcd lease, with a record (ttl, owner, app, implicit)
 * and the app's index entry attached to it, so etcd deletes them, and everything else the lease
 * holds, when it ends. TTLs are whole seconds, rounded up.
 */
export class EtcdLeases implements LeaseStore {
  constructor(private readonly ctx: EtcdContext) {}

  /** Grants an etcd lease, then writes its record and index entry on it in one transaction. */
  grant(options: GrantOptions): Promise<LeaseInfo> {
    return this.ctx.open(async () => {
      const facts = await grantEtcdLease(this.ctx, options);
      try {
        await this.ctx.conn.txn('grantLease', [], recordWrites(this.ctx, facts));
      } catch (error) {
        await revokeEtcdLease(this.ctx, facts.etcdId).catch(() => undefined);
        throw error;
      }
      this.ctx.leases.remember(facts);
      return leaseInfo(facts);
    });
  }

  /** One keep-alive round trip on its own short stream (after a record read on a cache miss). */
  keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined> {
    return this.ctx.open(async () => {
      const facts = await this.find(leaseId, app);
      if (!facts) return undefined;
      const ttlSeconds = await this.keepAliveOnce(facts.etcdId);
      return ttlSeconds > 0 ? leaseInfo(facts, ttlSeconds * 1000) : undefined;
    });
  }

  /**
   * Revokes a lease; etcd deletes every key on it in the same step. The record is first marked
   * `revoking` (only while it exists), so a record deleted without the mark is an expiry.
   */
  revoke(leaseId: string, app: LeaseApp): Promise<boolean> {
    return this.ctx.open(async () => {
      const facts = await this.find(leaseId, app);
      if (!facts) return false;
      const recordKey = this.ctx.keys.lease(facts.id);
      const { id: _id, etcdId, ...record } = facts;
      const marked = await this.ctx.conn.txn(
        'revokeLease',
        [compare.version(recordKey, '>', 0)],
        [request.put(recordKey, encodeLease({ ...record, revoking: true }), etcdId)],
      );
      if (!marked.succeeded) return false;
      return revokeEtcdLease(this.ctx, etcdId);
    });
  }

  /** Describes a live lease from etcd's TTL and the keys attached to it. */
  get(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined> {
    return this.ctx.open(async () => {
      const facts = await this.find(leaseId, app);
      if (!facts) return undefined;
      let ttl;
      try {
        ttl = await this.ctx.conn.client.leaseClient.leaseTimeToLive({ ID: facts.etcdId, keys: true });
      } catch (error) {
        if (error instanceof EtcdLeaseInvalidError) return undefined;
        throw storeError('getLease', error);
      }
      if (Number(ttl.TTL) < 0) return undefined;
      // Its guard key gone, the lease is ended though etcd's revoke may still be on its way.
      const guard = leaseGuardKey(this.ctx, { id: facts.id, etcdId: facts.etcdId, app: facts.app });
      if (!ttl.keys.some((attached) => attached.equals(guard))) return undefined;
      const locks: string[] = [];
      const keys: string[] = [];
      for (const physical of ttl.keys) {
        const parsed = this.ctx.keys.parse(physical);
        if (parsed?.family === 'lock') locks.push(parsed.key);
        else if (parsed?.family === 'value') keys.push(parsed.key);
      }
      return {
        ...leaseInfo(facts, Number(ttl.grantedTTL) * 1000),
        // etcd reports whole seconds left, rounded down.
        remainingMs: Number(ttl.TTL) * 1000,
        ...(facts.implicit ? { implicit: true } : {}),
        locks,
        keys,
      };
    });
  }

  /** The facts of lease `leaseId` if `app` may use it (an admin may use any). Says nothing of liveness. */
  private async find(leaseId: string, app: LeaseApp): Promise<LeaseFacts | undefined> {
    const facts = await this.ctx.leases.find(leaseId);
    return facts && (app === undefined || facts.app === app) ? facts : undefined;
  }

  private async keepAliveOnce(etcdId: string): Promise<number> {
    const { client, config } = this.ctx.conn;
    let stream;
    try {
      stream = await client.leaseClient.leaseKeepAlive();
    } catch (error) {
      throw storeError('keepAlive', error);
    }
    const opened = stream;
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no keep-alive answer in ${config.timeoutMs} ms`)),
          config.timeoutMs,
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
}

/** Grants a bare etcd lease for `options`; its TTL is `ttlMs` rounded up to whole seconds (or etcd's minimum). */
export async function grantEtcdLease(ctx: EtcdContext, options: GrantOptions): Promise<GrantedLease> {
  const { ttlMs, owner, app, implicit } = options;
  let granted;
  try {
    granted = await ctx.conn.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000) });
  } catch (error) {
    throw storeError('grantLease', error);
  }
  if (granted.error) throw storeError('grantLease', new Error(granted.error));
  return {
    id: publicLeaseId(granted.ID),
    etcdId: granted.ID,
    ttlMs: Number(granted.TTL) * 1000,
    app,
    ...(owner === undefined ? {} : { owner }),
    ...(implicit ? { implicit: true } : {}),
  };
}

/** A lease just granted: its facts, its app always known. */
export type GrantedLease = LeaseFacts & { readonly app: string };

/** The lease's record and its app's index entry, both on the lease. */
export function recordWrites(ctx: EtcdContext, facts: GrantedLease): IRequestOp[] {
  const { id, etcdId, ...record } = facts;
  return [
    request.put(ctx.keys.lease(id), encodeLease(record), etcdId),
    request.put(ctx.keys.appLease(facts.app, id), '', etcdId),
  ];
}

/** Revokes an etcd lease by its own id; false when etcd no longer knows it. */
export async function revokeEtcdLease(ctx: EtcdContext, etcdId: string): Promise<boolean> {
  try {
    await ctx.conn.client.leaseClient.leaseRevoke({ ID: etcdId });
    return true;
  } catch (error) {
    if (error instanceof EtcdLeaseInvalidError) return false;
    throw storeError('revokeLease', error);
  }
}

/** The public view of a lease. */
function leaseInfo(facts: LeaseFacts, ttlMs = facts.ttlMs): LeaseInfo {
  return {
    id: facts.id,
    ttlMs,
    ...(facts.owner === undefined ? {} : { owner: facts.owner }),
    ...(facts.app === undefined ? {} : { app: facts.app }),
  };
}
