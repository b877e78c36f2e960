import type { GrantOptions, LeaseApp, LeaseDetail, LeaseInfo, LeaseStore } from '@leasehold/core';
import { newLeaseId } from '@leasehold/core';
import { LeaseReaper } from './lease-reaper.js';
import {
  getLeaseScript,
  grantLeaseScript,
  KEEP_ALIVE_BATCH,
  keepAliveManyScript,
  keepAliveScript,
  reapLeasesScript,
  revokeLeaseScript,
} from './lease-scripts.js';
import { callerArg } from './lua-script.js';
import type { Reply } from './replies.js';
import { leaseDetail, text } from './replies.js';
import type { ScriptRunner } from './script-runner.js';

/**
 * The leases of a `lock.redis` store, one Lua script per operation. Deadlines live in Redis; this
 * server's reaper is armed at the earliest one it knows of and announces expiries.
 */
export class RedisLeases implements LeaseStore {
  private readonly reaper: LeaseReaper;

  constructor(private readonly redis: ScriptRunner) {
    this.reaper = new LeaseReaper(async (limit) => {
      const [reaped, next] = (await redis.script('reapLeases', reapLeasesScript, limit)) as Reply;
      return [Number(reaped), Number(next)] as const;
    });
  }

  /** Reaps whatever expired while no server was watching, then follows the deadlines. */
  start(): void {
    this.reaper.arm(0);
  }

  /** Makes this server's reaper look within `ttlMs` (a deadline it did not grant: a Dapr lock's). */
  reapWithin(ttlMs: number): void {
    this.reaper.arm(ttlMs);
  }

  /** Stops the reaper's timer. */
  close(): void {
    this.reaper.close();
  }

  async grant(options: GrantOptions): Promise<LeaseInfo> {
    const { ttlMs, owner, app } = options;
    const id = newLeaseId();
    await this.redis.script('grantLease', grantLeaseScript, id, ttlMs, owner ?? '', app);
    this.reaper.arm(ttlMs);
    return { id, ttlMs, ...(owner === undefined ? {} : { owner }), app };
  }

  async keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined> {
    const reply = (await this.redis.script('keepAlive', keepAliveScript, leaseId, callerArg(app))) as Reply;
    const [ttlMs, owner, leaseApp] = reply.map(text);
    if (ttlMs === undefined) return undefined;
    this.reaper.arm(Number(ttlMs));
    return {
      id: leaseId,
      ttlMs: Number(ttlMs),
      ...(owner === undefined ? {} : { owner }),
      ...(leaseApp === undefined ? {} : { app: leaseApp }),
    };
  }

  /** One script per slice of leases: renewing moves deadlines later, so the reaper needs no re-arming. */
  async keepAliveMany(leaseIds: readonly string[], app: LeaseApp): Promise<string[]> {
    const lost: string[] = [];
    for (let i = 0; i < leaseIds.length; i += KEEP_ALIVE_BATCH) {
      const slice = leaseIds.slice(i, i + KEEP_ALIVE_BATCH);
      const reply = (await this.redis.script(
        'keepAlive',
        keepAliveManyScript,
        callerArg(app),
        ...slice,
      )) as Reply;
      for (const id of reply) lost.push(String(id));
    }
    return lost;
  }

  async revoke(leaseId: string, app: LeaseApp): Promise<boolean> {
    return (await this.redis.script('revokeLease', revokeLeaseScript, leaseId, callerArg(app))) === 1;
  }

  async get(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined> {
    const json = String(await this.redis.script('getLease', getLeaseScript, leaseId, callerArg(app)));
    return json === '' ? undefined : leaseDetail(leaseId, json);
  }
}
