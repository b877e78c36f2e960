import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryOp, OpKind } from '../history/history-op.js';
import { HistoryRecorder } from '../history/history-recorder.js';
import { check } from './check.js';
import { parseHistory } from '../history/history-reader.js';

/** A small deterministic generator, so a failing seed replays. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Lease {
  readonly id: string;
  expiresAtMs: number;
}

/**
 * A correct one-lock, one-key service, applying each op when the simulation says: any history it yields must pass every property.
 */
class Service {
  now = 0;
  private readonly leases = new Map<string, Lease>();
  private holder: { leaseId: string; token: number } | undefined;
  private revision = 0;
  private value: string | null = null;
  private valueRevision = 0;
  private nextLease = 0;
  /** Told of each put as it applies, for the watch. */
  onPut: (revision: number, value: string | null) => void = () => {};

  /** `earlyMs` > 0 makes a faulty service that ends leases that much before their TTL. */
  constructor(
    private readonly ttlMs: number,
    private readonly earlyMs = 0,
  ) {}

  /** Applies an op now; returns its reply as the history records it. */
  apply(
    kind: OpKind,
    leaseId: string | undefined,
    token?: number,
    value?: string,
  ): Partial<HistoryOp> & { ok: boolean } {
    this.expire();
    const lease = leaseId === undefined ? undefined : this.leases.get(leaseId);
    const mine = lease !== undefined && this.holder?.leaseId === lease.id;
    switch (kind) {
      case 'lease.grant': {
        const id = `L${this.nextLease++}`;
        this.leases.set(id, { id, expiresAtMs: this.now + this.ttlMs });
        return { ok: true, leaseId: id, ttlMs: this.ttlMs };
      }
      case 'lease.keepAlive':
        if (lease) lease.expiresAtMs = this.now + this.ttlMs;
        return lease ? { ok: true } : { ok: false, error: 'LEASE_NOT_FOUND' };
      case 'lock.tryAcquire':
        if (!lease) return { ok: false, error: 'LEASE_NOT_FOUND' };
        if (this.holder) return { ok: mine, ...(mine ? { token: this.holder.token } : {}) };
        this.holder = { leaseId: lease.id, token: ++this.revision };
        return { ok: true, token: this.revision };
      case 'lock.release':
        if (mine) this.holder = undefined;
        return mine ? { ok: true } : { ok: false, error: 'not_held' };
      case 'kv.put':
        if (!mine || this.holder!.token !== token) return { ok: false, error: 'FENCED' };
        [this.value, this.valueRevision] = [value ?? null, ++this.revision];
        this.onPut(this.revision, this.value);
        return { ok: true, revision: this.revision };
      default:
        return {
          ok: true,
          value: this.value,
          ...(this.value === null ? {} : { revision: this.valueRevision }),
        };
    }
  }

  /** Ends every lease whose TTL has run out since its last renewal, never one earlier. */
  private expire(): void {
    for (const lease of this.leases.values()) {
      if (lease.expiresAtMs - this.earlyMs >= this.now) continue;
      this.leases.delete(lease.id);
      if (this.holder?.leaseId === lease.id) this.holder = undefined;
    }
  }
}

interface Client {
  readonly name: string;
  busy: boolean;
  leaseId: string | undefined;
  token: number | undefined;
}

/** A scheduled moment: an op applied by the service, or its reply reaching the client. */
interface Moment {
  readonly at: number;
  readonly run: () => void;
}

/**
 * Three clients over one lock and one key, with a watch on the key. Each op is applied at a random
 * instant between its send and its reply, which comes 1–40 ms after the send, or never (10%).
 */
function simulate(seed: number, steps: number, earlyMs = 0): HistoryOp[] {
  const next = random(seed);
  const lines: string[] = [];
  const service = new Service(60, earlyMs);
  let clockMs = 0;
  const history = new HistoryRecorder(
    (line) => lines.push(line),
    () => clockMs,
  );
  history.instant('w', 'watch.open', { stream: 'w1', key: 'k' });
  service.onPut = (revision, value) =>
    history.instant('w', 'watch.event', { stream: 'w1', key: 'k', revision, value, event: 'put' });
  const clients: Client[] = ['c0', 'c1', 'c2'].map((name) => ({
    name,
    busy: false,
    leaseId: undefined,
    token: undefined,
  }));
  let moments: Moment[] = [];
  for (let step = 0; step < steps; step++) {
    const now = step * 3;
    const due = moments.filter((moment) => moment.at <= now).sort((a, b) => a.at - b.at);
    moments = moments.filter((moment) => moment.at > now);
    for (const moment of due) {
      [clockMs, service.now] = [moment.at, moment.at];
      moment.run();
    }
    clockMs = now;
    const client = clients[Math.floor(next() * clients.length)]!;
    if (!client.busy) moments.push(...send(client, `${client.name}-${step}`, now, next, history, service));
  }
  history.close();
  return parseHistory(lines.join('\n'));
}

/** Sends one op for a client now; returns when the service applies it and when its reply arrives. */
function send(
  client: Client,
  value: string,
  now: number,
  next: () => number,
  history: HistoryRecorder,
  service: Service,
): Moment[] {
  const kind = chooseKind(client, next());
  const target = kind === 'lease.grant' ? {} : { name: 'x', leaseId: client.leaseId };
  const data =
    kind === 'kv.put' ? { key: 'k', token: client.token, value } : kind === 'kv.read' ? { key: 'k' } : {};
  const complete = history.invoke(client.name, kind, { ...target, ...data });
  const { leaseId, token } = client;
  const replyAt = now + 1 + next() * 40;
  const applyAt = now + next() * (replyAt - now);
  const lost = next() < 0.1;
  let reply: ReturnType<Service['apply']> = { ok: false };
  client.busy = true;
  const apply = () => void (reply = service.apply(kind, leaseId, token, value));
  const answer = () => {
    client.busy = false;
    if (lost) return void complete('unknown', { error: 'timeout' });
    const { ok, ...fields } = reply;
    complete(ok ? 'ok' : 'fail', fields);
    if (kind === 'lease.grant') client.leaseId = fields.leaseId;
    if (kind === 'lock.tryAcquire' && ok) client.token = fields.token;
    // A client that learns its lease or grant is gone starts over, as the SDK does.
    if (fields.error === 'LEASE_NOT_FOUND') [client.leaseId, client.token] = [undefined, undefined];
    if (fields.error === 'FENCED') client.token = undefined;
  };
  return [
    { at: applyAt, run: apply },
    { at: replyAt, run: answer },
  ];
}

function chooseKind(
  client: { leaseId: string | undefined; token: number | undefined },
  draw: number,
): OpKind {
  if (client.leaseId === undefined) return 'lease.grant';
  if (client.token === undefined)
    return draw < 0.5 ? 'lock.tryAcquire' : draw < 0.8 ? 'lease.keepAlive' : 'kv.read';
  const kinds: OpKind[] = ['lease.keepAlive', 'lease.keepAlive', 'kv.put', 'kv.read', 'lock.release'];
  const kind = kinds[Math.floor(draw * kinds.length)]!;
  if (kind === 'lock.release') client.token = undefined;
  return kind;
}

describe('check over histories of a correct service', () => {
  it('finds no violation, whatever the delays and lost replies', () => {
    // A few seeds lose every reply of a grant (nothing to check): the run as a whole must check plenty.
    let checkedRuns = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const verdict = check(simulate(seed, 300));
        expect(verdict.violations).toEqual([]);
        if (verdict.counts['mutual-exclusion'].checked > 0) checkedRuns++;
      }),
      { numRuns: 60 },
    );
    expect(checkedRuns).toBeGreaterThanOrEqual(50);
  });

  it('catches a service that ends leases 30 ms early', () => {
    const found = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      for (const violation of check(simulate(seed, 300, 30)).violations) found.add(violation.property);
    }
    expect([...found].sort()).toEqual(expect.arrayContaining(['early-release', 'mutual-exclusion']));
  });
});
