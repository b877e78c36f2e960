import type { Unsubscribe, WatchEvent, WatchOptions, WatchStore } from '@leasehold/core';
import { WatchCompactedError } from '@leasehold/core';
import type { IEvent } from 'etcd3';
import type { EtcdContext } from './etcd-context.js';
import type { EtcdKeys } from './etcd-keys.js';
import { prefixEnd } from './etcd-keys.js';
import type { LeaseDirectory, LeaseFacts } from './lease-directory.js';
import { decodeLease } from './lease-record.js';
import { decodeLock } from './lock-value.js';

/**
 * The change feed of a `lock.etcd` store: one etcd watch over the whole namespace per subscription,
 * so kv and lock changes arrive in one revision-ordered stream, filtered here to the caller's prefix.
 * Lock-key creations are `lock.acquired` (revision = fencing token), lock-key deletions
 * `lock.released` (from prev_kv). A lease record deleted without the `revoking` mark that a revoke
 * writes first is `lease.expired`. Every event names its lease by public id and app: lock events
 * from the lock's value, kv events by looking up etcd's lease id (records seen in the same batch
 * first, then the cache, then a read as of the revision before the event). Batches are mapped one
 * after another, so order is kept. The watch is live once etcd has created it: a fresh watch then
 * starts at the revision etcd read when creating it, so every later change follows. A start
 * revision etcd has compacted ends the watch with `WatchCompactedError`, after the batches before.
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
    const stop = mux.watch({
      key: keys.root,
      rangeEnd: prefixEnd(keys.root),
      startRevision: options.afterRevision === undefined ? 0 : options.afterRevision + 1,
      prevKv: true,
      onCreated: () => {
        if (live) return; // re-created after a reconnect: already live, the mux resumes it
        live = true;
        then(() => options.onLive?.());
      },
      onCancel: (_reason, compactRevision) => {
        if (compactRevision <= 0) return;
        then(() => {
          stopped = true;
          options.onError?.(new WatchCompactedError(compactRevision, options.afterRevision));
        });
      },
      onEvents: (events) => {
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

async function mapBatch(keys: EtcdKeys, leases: LeaseDirectory, events: IEvent[]): Promise<WatchEvent[]> {
  const seen = new Map<string, LeaseFacts>();
  for (const event of events) {
    const parsed = keys.parse(event.kv.key);
    if (parsed?.family !== 'lease') continue;
    const facts = leases.learn(parsed.key, isDelete(event) ? event.prev_kv?.value : event.kv.value);
    if (facts) seen.set(facts.etcdId, facts);
  }
  const out: WatchEvent[] = [];
  for (const event of events) {
    const mapped = await toWatchEvent(keys, event, async (etcdId, revision) => {
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

async function toWatchEvent(keys: EtcdKeys, event: IEvent, find: FindLease): Promise<WatchEvent | undefined> {
  const parsed = keys.parse(event.kv.key);
  if (!parsed) return undefined;
  const deleted = isDelete(event);
  const revision = Number(event.kv.mod_revision);
  if (parsed.family === 'lease') {
    const record = decodeLease(event.prev_kv?.value);
    if (!deleted || !record || record.revoking === true) return undefined;
    const app = record.app === undefined ? {} : { app: record.app };
    return { type: 'lease.expired', key: parsed.key, revision, leaseId: parsed.key, ...app };
  }
  if (parsed.family === 'value') {
    const etcdId = deleted ? event.prev_kv?.lease : event.kv.lease;
    const facts = etcdId && etcdId !== '0' ? await find(etcdId, revision) : undefined;
    const lease = facts ? { leaseId: facts.id, ...(facts.app === undefined ? {} : { app: facts.app }) } : {};
    return deleted
      ? { type: 'delete', key: parsed.key, revision, ...lease }
      : { type: 'put', key: parsed.key, revision, value: event.kv.value.toString(), ...lease };
  }
  const written = deleted ? event.prev_kv : event.kv;
  const holder = written ? decodeLock(written) : undefined;
  const lease = holder
    ? { leaseId: holder.leaseId, ...(holder.app === undefined ? {} : { app: holder.app }) }
    : {};
  if (deleted) {
    const token = event.prev_kv ? { fencingToken: Number(event.prev_kv.create_revision) } : {};
    return { type: 'lock.released', key: parsed.key, revision, ...lease, ...token };
  }
  // Lock keys are written once per grant; a later write of the same grant is not a new acquisition.
  if (event.kv.version !== '1') return undefined;
  return { type: 'lock.acquired', key: parsed.key, revision, ...lease, fencingToken: revision };
}
