import type { Unsubscribe, WatchEvent, WatchOptions } from '@leasehold/core';
import type { IEvent } from 'etcd3';
import type { EtcdKeys } from './etcd-keys.js';
import { prefixEnd } from './etcd-keys.js';
import { decodeLease } from './etcd-leases.js';
import type { WatchMux } from './watch-mux.js';

/**
 * A store watch: one etcd watch over the whole namespace, so kv and lock changes arrive in one
 * revision-ordered stream, filtered here to the caller's prefix. Lock-key creations are
 * `lock.acquired` (revision = fencing token), lock-key deletions `lock.released` (from prev_kv).
 * A lease record deleted without the `revoking` mark that revokeLease writes first is `lease.expired`.
 */
export function watchStore(keys: EtcdKeys, mux: WatchMux, options: WatchOptions): Unsubscribe {
  const root = keys.root;
  return mux.watch({
    key: root,
    rangeEnd: prefixEnd(root),
    startRevision: options.afterRevision === undefined ? 0 : options.afterRevision + 1,
    prevKv: true,
    onEvents: (events) => {
      for (const event of events) {
        const mapped = toWatchEvent(keys, event);
        if (mapped?.key.startsWith(options.prefix)) options.onEvent(mapped);
      }
    },
  });
}

function toWatchEvent(keys: EtcdKeys, event: IEvent): WatchEvent | undefined {
  const parsed = keys.parse(event.kv.key);
  if (!parsed) return undefined;
  const deleted = String(event.type).toUpperCase() === 'DELETE';
  const revision = Number(event.kv.mod_revision);
  const lease = deleted ? event.prev_kv?.lease : event.kv.lease;
  const leaseId = lease && lease !== '0' ? { leaseId: lease } : {};
  if (parsed.family === 'lease') {
    const record = decodeLease(event.prev_kv?.value);
    if (!deleted || !record || record.revoking === true) return undefined;
    return { type: 'lease.expired', key: parsed.key, revision, leaseId: parsed.key };
  }
  if (parsed.family === 'value') {
    return deleted
      ? { type: 'delete', key: parsed.key, revision, ...leaseId }
      : { type: 'put', key: parsed.key, revision, value: event.kv.value.toString(), ...leaseId };
  }
  if (deleted) {
    const token = event.prev_kv ? { fencingToken: Number(event.prev_kv.create_revision) } : {};
    return { type: 'lock.released', key: parsed.key, revision, ...leaseId, ...token };
  }
  // Lock keys are written once per grant; a later write of the same grant is not a new acquisition.
  if (event.kv.version !== '1') return undefined;
  return { type: 'lock.acquired', key: parsed.key, revision, ...leaseId, fencingToken: revision };
}
