/** How a pool's waiter sleeps: on one watch, woken only by what may let it on. */
import { atDeadline } from '@leasehold/core';
import type { IEvent, IKeyValue } from 'etcd3';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import type { PoolState } from './pool-state.js';
import { decodeHolder, holderToken, releaseHolder } from './pool-state.js';
import type { WaiterGate } from './waiter-gate.js';

/**
 * Sleeps until something that may let this waiter on: a waiter behind others watches only its
 * predecessor's queue key (and its own, for its lease's end); the head watches the pool's holders
 * and meta, and enforces the holders' stored hold deadlines in case their granting server is gone.
 */
export async function sleepForTurn(
  ctx: EtcdContext,
  gate: WaiterGate,
  key: string,
  state: PoolState,
  predecessor: Buffer | undefined,
  entry: Buffer,
): Promise<void> {
  const from = state.revision + 1;
  const wake = () => gate.wake();
  const stops = predecessor
    ? [watchDeletes(ctx, predecessor, from, wake), watchDeletes(ctx, entry, from, wake)]
    : [watchPool(ctx, key, from, wake), enforceHolds(ctx, key, state.holders, wake)];
  try {
    await gate.sleep();
  } finally {
    for (const stop of stops) stop();
  }
}

function watchDeletes(ctx: EtcdContext, key: Buffer, from: number, wake: () => void): () => void {
  return ctx.mux.watch({ key, startRevision: from, deletesOnly: true, onEvents: wake, onCancel: wake });
}

/** Every change of the pool but a newcomer joining the queue wakes the head. */
function watchPool(ctx: EtcdContext, key: string, from: number, wake: () => void): () => void {
  const folder = ctx.keys.pool(key);
  const queue = ctx.keys.poolQueue(key);
  const joined = (event: IEvent) =>
    String(event.type).toUpperCase() === 'PUT' && event.kv.key.subarray(0, queue.length).equals(queue);
  return ctx.mux.watch({
    key: folder,
    rangeEnd: prefixEnd(folder),
    startRevision: from,
    onEvents: (events) => {
      if (!events.every(joined)) wake();
    },
    onCancel: wake,
  });
}

/** Releases the holder whose stored hold deadline comes first, at that deadline. */
function enforceHolds(ctx: EtcdContext, key: string, holders: readonly IKeyValue[], wake: () => void) {
  let first: IKeyValue | undefined;
  for (const kv of holders) {
    const until = decodeHolder(kv).holdUntil;
    if (until !== undefined && until < (first ? decodeHolder(first).holdUntil! : Infinity)) first = kv;
  }
  if (!first) return () => undefined;
  const { holdUntil } = decodeHolder(first);
  const token = holderToken(first);
  return atDeadline(holdUntil!, () => void releaseHolder(ctx, key, token).then(wake, wake));
}
