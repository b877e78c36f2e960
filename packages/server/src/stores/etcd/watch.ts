import type { Unsubscribe, WatchEvent, WatchOptions, WatchStore } from '@leasehold/core';
import { LeaseholdError, WatchCompactedError } from '@leasehold/core';
import type { IEvent } from 'etcd3';
import type { EtcdContext } from './etcd-context.js';
import type { EtcdKeys } from './etcd-keys.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseDirectory, LeaseFacts } from './lease-directory.js';
import { decodeLease } from './lease-record.js';
import { LAST_INDEX, etcdRevisionOf, indexOf, position } from './etcd-position.js';
import { decodeLock, tokenOf } from './lock-value.js';
import { decodeHolder, holderToken } from './pool-state.js';

/**
 * The change feed of a `lock.etcd` store: one etcd watch over the whole namespace per subscription,
 * so kv and lock changes arrive in one revision-ordered stream, filtered here to the caller's prefix.
 * Lock-key creations are `lock.acquired`, lock-key deletions `lock.released` (from prev_kv), and
 * permit holder keys likewise `permit.acquired` and `permit.released`.
 * An event's revision is its position: etcd's revision and its index among that revision's events
 * (writes committed together share a revision), so a resume continues right after the last event
 * delivered, even in the middle of a revision (etcd-position.ts). A lease record deleted without the `revoking` mark that a revoke
 * writes first is `lease.expired`. Every event names its lease by public id and app: lock events
 * from the lock's value, kv events by looking up etcd's lease id (records seen in the same batch
 * first, then the cache, then a read as of the revision before the event). Batches are mapped one
 * after another, so order is kept. The watch is live once etcd has created it: a fresh watch then
 * starts at the revision etcd read when creating it, so every later change follows. A start
 * revision etcd has compacted ends the watch with `WatchCompactedError`, after the batches before;
 * any other cancel by etcd ends it `UNAVAILABLE`, to be resumed from the last revision delivered.
 */
export class EtcdWatch implements WatchStore {
  constructor(private readonly ctx: EtcdContext) {}

  /** A closed store's watch is empty: no events, nothing to stop. */
  subscribe(options: WatchOptions): Unsubscribe {
    const { keys, leases, mux, closed } = this.ctx;
    if (closed) return () => undefined;
    let stopped = false;
    let live = false;
    let chain = Promise.resolve();
    // Signals go through the same chain as batches, so they keep their place after mapped events.
    const then = (step: () => void) => {
      chain = chain.then(() => (stopped ? undefined : step())).catch(() => undefined);
    };
    const from = startOf(options.afterRevision);
    const place = new EventPlaces(from.skipThrough);
    const stop = mux.watch({
      key: keys.root,
      rangeEnd: prefixEnd(keys.root),
      startRevision: from.revision,
      prevKv: true,
      onCreated: () => {
        if (live) return; // re-created after a reconnect: already live, the mux resumes it
        live = true;
        then(() => options.onLive?.());
      },
      onCancel: (reason, compactRevision) => {
        then(() => {
          stopped = true;
          options.onError?.(
            compactRevision > 0
              ? new WatchCompactedError(position(compactRevision, 0), options.afterRevision)
              : cancelled(reason),
          );
        });
      },
      onEvents: (all) => {
        const events = place.of(all);
        chain = chain
          .then(() => mapBatch(keys, leases, events))
          .then((mapped) => {
            if (stopped) return;
            for (const event of mapped) if (event.key.startsWith(options.prefix)) options.onEvent(event);
          })
          // A throwing listener must not stop the batches after it.
          .catch(() => undefined);
      },
    });
    return () => {
      stopped = true;
      stop();
    };
  }
}

/** An etcd event and its position. */
interface Placed {
  readonly event: IEvent;
  readonly at: number;
}

/** Where a watch from `afterRevision` (a position) starts in etcd, and which events of that revision it skips. */
function startOf(afterRevision: number | undefined): { revision: number; skipThrough?: number } {
  if (afterRevision === undefined) return { revision: 0 };
  const revision = etcdRevisionOf(afterRevision);
  if (indexOf(afterRevision) === LAST_INDEX) return { revision: revision + 1 };
  // The rest of a revision delivered in part: etcd sends it whole again, its delivered head is skipped.
  return { revision: Math.max(revision, 1), skipThrough: afterRevision };
}

/** Numbers events by their place within their etcd revision, and drops those at or before `skipThrough`. */
class EventPlaces {
  private revision = -1;
  private next = 0;

  constructor(private readonly skipThrough: number | undefined) {}

  of(events: IEvent[]): Placed[] {
    const placed: Placed[] = [];
    for (const event of events) {
      const revision = Number(event.kv.mod_revision);
      if (revision !== this.revision) [this.revision, this.next] = [revision, 0];
      const at = position(revision, this.next++);
      if (this.skipThrough === undefined || at > this.skipThrough) placed.push({ event, at });
    }
    return placed;
  }
}

/** etcd ended a watch for a reason other than compaction: the caller resumes from its last revision. */
function cancelled(reason: string): LeaseholdError {
  return new LeaseholdError(
    'UNAVAILABLE',
    `etcd cancelled the watch (${reason}); resume from the last revision`,
  );
}

async function mapBatch(keys: EtcdKeys, leases: LeaseDirectory, placed: Placed[]): Promise<WatchEvent[]> {
  const seen = new Map<string, LeaseFacts>();
  for (const { event } of placed) {
    const parsed = keys.parse(event.kv.key);
    if (parsed?.family !== 'lease') continue;
    const facts = leases.learn(parsed.key, isDelete(event) ? event.prev_kv?.value : event.kv.value);
    if (facts) seen.set(facts.etcdId, facts);
  }
  const out: WatchEvent[] = [];
  for (const { event, at } of placed) {
    const mapped = await toWatchEvent(keys, event, at, async (etcdId, revision) => {
      const known = seen.get(etcdId);
      if (known) return known;
      // A lookup that fails names no lease: the event still goes out, without a lease id.
      return leases.findByEtcdId(etcdId, revision - 1).catch(() => undefined);
    });
    if (mapped) out.push(mapped);
  }
  return out;
}

function isDelete(event: IEvent): boolean {
  return String(event.type).toUpperCase() === 'DELETE';
}

type FindLease = (etcdId: string, revision: number) => Promise<LeaseFacts | undefined>;

async function toWatchEvent(
  keys: EtcdKeys,
  event: IEvent,
  revision: number,
  find: FindLease,
): Promise<WatchEvent | undefined> {
  const parsed = keys.parse(event.kv.key);
  if (!parsed) return undefined;
  const deleted = isDelete(event);
  if (parsed.family === 'lease') {
    const record = decodeLease(event.prev_kv?.value);
    if (!deleted || !record || record.revoking === true) return undefined;
    const app = record.app === undefined ? {} : { app: record.app };
    return { type: 'lease.expired', key: parsed.key, revision, leaseId: parsed.key, ...app };
  }
  if (parsed.family === 'value') {
    const etcdId = deleted ? event.prev_kv?.lease : event.kv.lease;
    const facts = etcdId && etcdId !== '0' ? await find(etcdId, Number(event.kv.mod_revision)) : undefined;
    const lease = facts ? { leaseId: facts.id, ...(facts.app === undefined ? {} : { app: facts.app }) } : {};
    return deleted
      ? { type: 'delete', key: parsed.key, revision, ...lease }
      : { type: 'put', key: parsed.key, revision, value: event.kv.value.toString(), ...lease };
  }
  if (parsed.family === 'permit') return permitEvent(parsed.key, event, revision, deleted);
  const written = deleted ? event.prev_kv : event.kv;
  const holder = written ? decodeLock(written) : undefined;
  const lease = holder
    ? { leaseId: holder.leaseId, ...(holder.app === undefined ? {} : { app: holder.app }) }
    : {};
  if (deleted) {
    const token = event.prev_kv ? { fencingToken: tokenOf(event.prev_kv) } : {};
    return { type: 'lock.released', key: parsed.key, revision, ...lease, ...token };
  }
  // Lock keys are written once per grant; a later write of the same grant is not a new acquisition.
  if (event.kv.version !== '1') return undefined;
  return { type: 'lock.acquired', key: parsed.key, revision, ...lease, fencingToken: tokenOf(event.kv) };
}

/**
 * A holder key's creation is `permit.acquired`, its deletion (from prev_kv) `permit.released`; a
 * downgrade deletes the write's key and creates the read's, so it is a release and an acquire.
 */
function permitEvent(key: string, event: IEvent, revision: number, deleted: boolean): WatchEvent | undefined {
  const written = deleted ? event.prev_kv : event.kv;
  // Holder keys are written once per grant; without prev_kv a deletion cannot say whose it was.
  if (!written || (!deleted && event.kv.version !== '1')) return undefined;
  const { leaseId, app, permits, mode } = decodeHolder(written);
  const type = deleted ? 'permit.released' : 'permit.acquired';
  const fencingToken = holderToken(written);
  // A read/write lock's grant says its mode, as on the engine; a semaphore's its permits.
  const weighs = mode === undefined ? { permits } : { mode };
  return { type, key, revision, leaseId, ...(app === undefined ? {} : { app }), fencingToken, ...weighs };
}
