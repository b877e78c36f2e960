import type { OpKind } from '../history/history-op.js';
import type { HistoryRecorder, OpFields } from '../history/history-recorder.js';
import type { CallResult, ClientApi, PoolPrimitive } from './client-api.js';
import type { HttpApi } from './http-api.js';
import { HOT } from './hot-names.js';
import type { Prng } from './prng.js';
import { LOCK, RWLOCK, SEMAPHORE } from './takings.js';
import type { Taking } from './takings.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One client's loop: leases, locks, semaphores, read/write locks, fenced writes, reads and Dapr locks, by its PRNG. */
export class ClientLoop {
  private writes = 0;

  constructor(
    private readonly process: string,
    private readonly api: ClientApi,
    private readonly recorder: HistoryRecorder,
    private readonly rng: Prng,
    /** Raw HTTP for the Dapr API, which every client also calls. */
    private readonly dapr: HttpApi,
    private readonly watchSharesRevisions: boolean,
    /** The permit-pool primitives the store has (its capabilities). */
    private readonly pools: readonly PoolPrimitive[],
  ) {}

  /** Loops until `deadlineMs` (Date.now() time); semaphores and read/write locks only where the store has them. */
  async run(deadlineMs: number): Promise<void> {
    while (Date.now() < deadlineMs) {
      const roll = this.rng.next();
      if (roll < 0.15) await this.daprCycle();
      else if (roll < 0.3) await this.look();
      else if (roll < 0.45 && this.pools.includes('semaphores')) await this.leaseCycle(SEMAPHORE);
      else if (roll < 0.6 && this.pools.includes('rwlocks')) await this.leaseCycle(RWLOCK);
      else await this.leaseCycle(LOCK);
    }
  }

  /** Invokes, awaits and records one call. */
  private async record(
    kind: OpKind,
    request: OpFields,
    call: () => Promise<CallResult>,
  ): Promise<CallResult> {
    const complete = this.recorder.invoke(this.process, kind, request);
    const result = await call();
    complete(result.outcome, this.writeFields(kind, result.fields));
    // No answer: the server may be down; pause rather than spin on refused connections.
    if (result.outcome === 'unknown') await sleep(this.rng.int(250, 750));
    return result;
  }

  /** A write's reply fields, its revision set aside where the watch numbers events its own way. */
  private writeFields(kind: OpKind, fields: OpFields): OpFields {
    if (this.watchSharesRevisions || kind !== 'kv.put' || fields.revision === undefined) return fields;
    const { revision, ...rest } = fields;
    // A runner's own field: the history format lets runners add fields the checker does not read.
    return { ...rest, storeRevision: revision } as OpFields;
  }

  /** A lease, then a lock, permits or a read/write lock on it: held (fenced writes on a lock), then let go. */
  private async leaseCycle(taking: Taking): Promise<void> {
    const ttlMs = this.rng.int(1_000, 3_000);
    const owner = `${this.process}-${this.rng.int(0, 2)}`;
    const granted = await this.record('lease.grant', { ttlMs, owner }, () => this.api.grant(ttlMs, owner));
    const leaseId = granted.fields.leaseId;
    if (granted.outcome !== 'ok' || leaseId === undefined) return;
    const name = this.rng.pick(taking.names);
    const waitMs = this.rng.chance(0.4) ? 0 : this.rng.int(100, 2_000);
    const asked = taking.ask(this.rng);
    const got = await this.record(taking.kind(waitMs), { name, leaseId, ...asked }, () =>
      taking.acquire(this.api, name, leaseId, waitMs, asked),
    );
    const token = got.fields.token;
    if (got.outcome === 'ok' && token !== undefined) {
      await this.hold(leaseId, ttlMs, taking.fences ? () => this.fencedPut(name, token) : undefined);
      await this.letGo(taking, name, leaseId);
    } else if (this.rng.chance(0.7)) {
      await this.record('lease.revoke', { leaseId }, () => this.api.revoke(leaseId));
    }
  }

  /** Holds a grant for a while, writing under its fence if `write` is given; keeps alive or lets the lease lapse. */
  private async hold(leaseId: string, ttlMs: number, write: (() => Promise<unknown>) | undefined) {
    const keepAlive = this.rng.chance(0.8);
    if (!keepAlive) this.api.stopRenewing(leaseId);
    const holdMs = this.rng.int(0, keepAlive ? 1.5 * ttlMs : ttlMs + 500);
    const until = Date.now() + holdMs;
    for (;;) {
      await write?.();
      if (this.rng.chance(0.3)) await this.look();
      const rest = until - Date.now();
      if (rest <= 0) return;
      await sleep(Math.min(rest, this.rng.int(ttlMs / 6, ttlMs / 3)));
      if (keepAlive) await this.record('lease.keepAlive', { leaseId }, () => this.api.keepAlive(leaseId));
    }
  }

  /** A put of a unique value to a hot key, fenced by the lock `name` at `token`. */
  private async fencedPut(name: string, token: number): Promise<void> {
    const key = this.rng.pick(HOT.keys);
    const value = `${this.process}-${this.writes++}`;
    await this.record('kv.put', { key, value, name, token }, () => this.api.put(key, value, name, token));
  }

  /** Releases, revokes or walks away from a grant. */
  private async letGo(taking: Taking, name: string, leaseId: string): Promise<void> {
    const roll = this.rng.next();
    if (roll < 0.6) {
      await this.record(taking.releaseKind, { name, leaseId }, () => taking.release(this.api, name, leaseId));
      await this.record('lease.revoke', { leaseId }, () => this.api.revoke(leaseId));
    } else if (roll < 0.85) {
      await this.record('lease.revoke', { leaseId }, () => this.api.revoke(leaseId));
    } else {
      this.api.stopRenewing(leaseId);
    }
  }

  /** A read of a hot key or a describe of a hot lock. */
  private async look(): Promise<void> {
    if (this.rng.chance(0.6)) {
      const key = this.rng.pick(HOT.keys);
      await this.record('kv.read', { key }, () => this.api.read(key));
    } else {
      const name = this.rng.pick(HOT.locks);
      await this.record('lock.describe', { name }, () => this.api.describe(name));
    }
  }

  /** A Dapr lock with a random owner, held for a while, then unlocked (by a random owner) or left to expire. */
  private async daprCycle(): Promise<void> {
    const name = this.rng.pick(HOT.daprResources);
    const owner = `${this.process}-d${this.rng.int(0, 2)}`;
    const seconds = this.rng.int(1, 3);
    const request = { name, owner, ttlMs: seconds * 1_000 };
    const got = await this.record('dapr.lock', request, () => this.dapr.daprLock(name, owner, seconds));
    await sleep(this.rng.int(0, got.outcome === 'ok' ? seconds * 1_200 : 300));
    if (this.rng.chance(0.2)) return;
    const unlocker = this.rng.chance(0.8) ? owner : `${this.process}-d${this.rng.int(0, 2)}`;
    await this.record('dapr.unlock', { name, owner: unlocker }, () => this.dapr.daprUnlock(name, unlocker));
  }
}
