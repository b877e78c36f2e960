import type { GrantOptions, LeaseApp, LeaseDetail, LeaseInfo, LeaseStore } from '@leasehold/core';
import { LeaseholdError, newLeaseId } from '@leasehold/core';
import { LeaseReaper } from '../redis/lease-reaper.js';
import {
  getLeaseScript,
  grantLeaseScript,
  keepAliveScript,
  reapLeasesScript,
  revokeLeaseScript,
} from '../redis/lease-scripts.js';
import { callerArg } from '../redis/lua-script.js';
import type { Reply } from '../redis/replies.js';
import { leaseNotFound, text } from '../redis/replies.js';
import type { RedlockContext } from './redlock-context.js';
import { mergeLease } from './redlock-merge.js';

/** Ids seen reaped on fewer than a majority, kept at most this many (see countEnded). */
const ENDED_LIMIT = 10_000;

/**
 * The leases of a Redlock store: granted on a majority in time, kept alive only when a majority
 * renews them in time. Each master keeps its own deadlines; this server's reaper reaps them (so
 * side keys do not pile up) and announces an expiry once a majority has reaped the lease.
 */
export class RedlockLeases implements LeaseStore {
  private readonly reaper = new LeaseReaper((limit) => this.reap(limit));
  /** How many masters have reaped each lease not yet announced as expired. */
  private readonly endedOn = new Map<string, number>();

  constructor(private readonly redlock: RedlockContext) {}

  /** Stops the reaper's timer. */
  close(): void {
    this.reaper.close();
  }

  async grant(options: GrantOptions): Promise<LeaseInfo> {
    this.redlock.open();
    const { masters } = this.redlock;
    const { ttlMs, owner, app } = options;
    const id = newLeaseId();
    const started = performance.now();
    const answers = await masters.run(grantLeaseScript, [id, ttlMs, owner ?? '', app], {
      decide: masters.majority((a) => a === 1),
    });
    if (masters.count(answers, (a) => a === 1) < masters.quorum || !this.redlock.valid(ttlMs, started)) {
      // Sent to every master (after the grant on each connection); a majority's answer is enough.
      await masters.run(revokeLeaseScript, [id, callerArg(undefined)], { decide: masters.majority(() => 0) });
      throw new LeaseholdError('STORE_ERROR', 'store failed during grantLease: no Redlock majority in time');
    }
    this.reaper.arm(ttlMs);
    return { id, ttlMs, ...(owner === undefined ? {} : { owner }), app };
  }

  async keepAlive(leaseId: string, app: LeaseApp): Promise<LeaseInfo | undefined> {
    this.redlock.open();
    const { masters } = this.redlock;
    const started = performance.now();
    const answers = await masters.run(keepAliveScript, [leaseId, callerArg(app)], {
      decide: masters.majority((a) => Array.isArray(a) && a.length > 0),
    });
    masters.requireQuorum('keepAlive', answers);
    const live = answers.filter((a) => Array.isArray(a) && a.length > 0) as Reply[];
    const ttlMs = Number(live[0]?.[0]);
    if (live.length < masters.quorum) {
      // Gone only when a majority says so: a master that missed the grant (down at the time) must not
      // end a lease that the others still hold.
      const gone = answers.filter((a) => a !== undefined).length - live.length;
      if (gone >= masters.quorum) return undefined;
      throw new LeaseholdError(
        'STORE_ERROR',
        `store failed during keepAlive: the Redlock masters disagreed (${live.length} renewed the lease, ` +
          `${gone} did not find it, ${masters.quorum} needed either way)`,
      );
    }
    if (!this.redlock.valid(ttlMs, started)) return undefined;
    const [owner, leaseApp] = [text(live[0]?.[1]), text(live[0]?.[2])];
    return {
      id: leaseId,
      ttlMs,
      ...(owner === undefined ? {} : { owner }),
      ...(leaseApp === undefined ? {} : { app: leaseApp }),
    };
  }

  async revoke(leaseId: string, app: LeaseApp): Promise<boolean> {
    this.redlock.open();
    const { masters, waiters } = this.redlock;
    const answers = await masters.run(revokeLeaseScript, [leaseId, callerArg(app)], {
      decide: masters.any((a) => a === 1),
    });
    masters.requireQuorum('revokeLease', answers);
    const revoked = masters.count(answers, (a) => a === 1) > 0;
    // Another app's lease was left alone, and so are its waiters here.
    if (!revoked) return false;
    waiters.failLease(leaseId, leaseNotFound(leaseId));
    waiters.wakeAll();
    return true;
  }

  async get(leaseId: string, app: LeaseApp): Promise<LeaseDetail | undefined> {
    this.redlock.open();
    const { masters } = this.redlock;
    const answers = await masters.run(getLeaseScript, [leaseId, callerArg(app)], {
      decide: masters.majority((a) => a !== ''),
    });
    masters.requireQuorum('getLease', answers);
    return mergeLease(leaseId, answers, masters.quorum);
  }

  /** One reap batch on every master: [most reaped by one, ms until the earliest next deadline or -1]. */
  private async reap(limit: number): Promise<readonly [number, number]> {
    const answers = (await this.redlock.masters.run(reapLeasesScript, [limit])) as (Reply | undefined)[];
    const given = answers.filter((a) => a !== undefined);
    for (const answer of given) this.countEnded(answer[2]);
    const next = given.map((a) => Number(a[1])).filter((n) => n >= 0);
    return [Math.max(0, ...given.map((a) => Number(a[0]))), next.length > 0 ? Math.min(...next) : -1];
  }

  /**
   * Announces a lease's expiry here once a majority of masters has reaped it: a lease that lapsed
   * on a minority only still lives. `ended` is a reap answer's flat {id, app, ...} list.
   */
  private countEnded(ended: unknown): void {
    if (!Array.isArray(ended)) return;
    for (let i = 0; i + 1 < ended.length; i += 2) {
      const [id, app] = [String(ended[i]), String(ended[i + 1])];
      const seen = (this.endedOn.get(id) ?? 0) + 1;
      if (seen !== this.redlock.masters.quorum) {
        this.endedOn.set(id, seen);
        continue;
      }
      this.endedOn.delete(id);
      const lease = { leaseId: id, ...(app ? { app } : {}) };
      this.redlock.watch.publish({ type: 'lease.expired', key: id, revision: 0, ...lease });
    }
    // Ids a majority never reaped (revoked meanwhile, or a master lost) must not pile up.
    if (this.endedOn.size > ENDED_LIMIT) this.endedOn.clear();
  }
}
