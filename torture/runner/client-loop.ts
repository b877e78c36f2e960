import type { OpKind } from '../history/history-op.js';
import type { HistoryRecorder, OpFields } from '../history/history-recorder.js';
import type { CallResult, ClientApi } from './client-api.js';
import type { HttpApi } from './http-api.js';
import { HOT } from './hot-names.js';
import type { Prng } from './prng.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One client's loop: leases, locks, fenced writes, reads and Dapr locks, chosen by its PRNG. */
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
  ) {}

  /** Loops until `deadlineMs` (Date.now() time). */
  async run(deadlineMs: number): Promise<void> {
    while (Date.now() < deadlineMs) {
      const roll = this.rng.next();
      if (roll < 0.15) await this.daprCycle();
      else if (roll < 0.3) await this.look();
      else await this.lockCycle();
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

  private async lockCycle(): Promise<void> {
    const ttlMs = this.rng.int(1_000, 3_000);
    const owner = `${this.process}-${this.rng.int(0, 2)}`;
    const granted = await this.record('lease.grant', { ttlMs, owner }, () => this.api.grant(ttlMs, owner));
    const leaseId = granted.fields.leaseId;
    if (granted.outcome !== 'ok' || leaseId === undefined) return;
    const name = this.rng.pick(HOT.locks);
    const waitMs = this.rng.chance(0.4) ? 0 : this.rng.int(100, 2_000);
    const kind = waitMs === 0 ? 'lock.tryAcquire' : 'lock.acquire';
    const got = await this.record(kind, { name, leaseId }, () => this.api.acquire(name, leaseId, waitMs));
    if (got.outcome === 'ok' && got.fields.token !== undefined) {
      await this.hold(name, leaseId, ttlMs, got.fields.token);
      await this.letGo(name, leaseId);
    } else if (this.rng.chance(0.7)) {
      await this.record('lease.revoke', { leaseId }, () => this.api.revoke(leaseId));
    }
  }

  /** Holds a grant for a while, writing under its fence; keeps alive or deliberately lets the lease lapse. */
  private async hold(name: string, leaseId: string, ttlMs: number, token: number): Promise<void> {
    const keepAlive = this.rng.chance(0.8);
    if (!keepAlive) this.api.stopRenewing(leaseId);
    const holdMs = this.rng.int(0, keepAlive ? 1.5 * ttlMs : ttlMs + 500);
    const until = Date.now() + holdMs;
    for (;;) {
      const key = this.rng.pick(HOT.keys);
      const value = `${this.process}-${this.writes++}`;
      await this.record('kv.put', { key, value, name, token }, () => this.api.put(key, value, name, token));
      if (this.rng.chance(0.3)) await this.look();
      const rest = until - Date.now();
      if (rest <= 0) return;
      await sleep(Math.min(rest, this.rng.int(ttlMs / 6, ttlMs / 3)));
      if (keepAlive) await this.record('lease.keepAlive', { leaseId }, () => this.api.keepAlive(leaseId));
    }
  }

  /** Releases, revokes or walks away from a grant. */
  private async letGo(name: string, leaseId: string): Promise<void> {
    const roll = this.rng.next();
    if (roll < 0.6) {
      await this.record('lock.release', { name, leaseId }, () => this.api.release(name, leaseId));
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
