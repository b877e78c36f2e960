import type { Fence } from '@leasehold/core';
import type { ICompare, IKeyValue } from 'etcd3';
import type { EtcdContext } from './etcd-context.js';
import { grantCompares, tokenOf } from './lock-value.js';
import { holderCompares, holderToken, holderWithToken } from './pool-state.js';

/** The key a fence names on etcd, the compares that hold while its grant does, and how to read its token. */
export interface FenceCheck {
  readonly key: Buffer;
  readonly compares: ICompare[];
  readonly tokenOf: (kv: IKeyValue) => number;
}

/**
 * What a fenced write compares in its transaction. A lock's grant is its lock key; a semaphore's or
 * a read/write lock's is one of several holder keys, found by a read first (undefined when no
 * current grant has the token), then compared in the write's own transaction, so the write still
 * lands only while it is held.
 */
export async function fenceOf(ctx: EtcdContext, fence: Fence): Promise<FenceCheck | undefined> {
  const lock = {
    key: ctx.keys.lock(fence.key),
    compares: grantCompares(ctx, fence.key, fence.token),
    tokenOf,
  };
  if (fence.key.startsWith('lock||')) return lock;
  if (!fence.key.startsWith('sem||') && !fence.key.startsWith('rw||')) {
    // An untagged key (embedders, tests) may name either, as in the engine: a held lock wins.
    const held = (await ctx.conn.range('checkFence', { key: lock.key })).kvs[0];
    if (held) return lock;
  }
  const holder = await holderWithToken(ctx, fence.key, fence.token);
  if (!holder) return undefined;
  return { key: holder, compares: holderCompares(holder, fence.token), tokenOf: holderToken };
}
