import { LeaseholdError, compareBytes, storeError } from '@leasehold/core';
import type { KvEntry, KvStore, PutOptions } from '@leasehold/core';
import type { ICompare, IKeyValue, IRequestOp, ITxnResponse } from 'etcd3';
import { rangeAt, request, compare } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { prefixEnd } from './etcd-keys.js';
import { firstResult, idempotencyOps } from './idempotency-lease.js';
import { leaseGuard, leaseGuardKey, leaseNotFound, requireLease } from './lease-guard.js';
import { position } from './etcd-position.js';
import { fenceOf } from './fence.js';
import type { FenceCheck } from './fence.js';

/**
 * The keys of a `lock.etcd` store: one etcd key per value, on its lease when bound, with a size entry
 * beside it (for usage by scope). Version is etcd's key version (reset by a delete), revision the
 * position of the key's mod revision (a put goes alone, so its change is the revision's first).
 */
export class EtcdKv implements KvStore {
  constructor(private readonly ctx: EtcdContext) {}

  /** The fence, ifVersion and lease are compared in the same transaction as the write. */
  put(options: PutOptions): Promise<{ version: number; revision: number }> {
    return this.ctx.open(async () => {
      const { ctx } = this;
      const lease =
        options.leaseId === undefined ? undefined : await requireLease(ctx, options.leaseId, options.app);
      const valueKey = ctx.keys.value(options.key);
      const { fence, ifVersion } = options;
      if (fence && !(Number.isSafeInteger(fence.token) && fence.token > 0)) throw fenced(fence.token);
      const compares: ICompare[] = [];
      const reads: IRequestOp[] = [request.get(valueKey, { keys_only: true })];
      const grant = fence && (await fenceOf(ctx, fence));
      if (fence && !grant) throw fenced(fence.token);
      if (grant) {
        compares.push(...grant.compares);
        reads.push(request.get(grant.key));
      }
      if (ifVersion !== undefined) compares.push(compare.version(valueKey, '=', ifVersion));
      if (lease) {
        compares.push(leaseGuard(ctx, lease));
        reads.push(request.get(leaseGuardKey(ctx, lease), { keys_only: true }));
      }
      const size = String(Buffer.byteLength(options.value, 'utf8'));
      const writes = [
        request.put(valueKey, options.value, lease?.etcdId, true),
        request.put(ctx.keys.valueSize(options.key), size, lease?.etcdId),
      ];
      const once = options.idempotency;
      const idem = once && (await idempotencyOps(ctx.keys, ctx.idempotency, once.key, once.fingerprint));
      if (idem) {
        compares.push(idem.compare);
        writes.push(idem.write);
        reads.push(idem.read);
      }
      // Alone, so the value's change is the first of its revision and its mod revision names its position.
      const response = await ctx.conn.alone('put', compares, writes, reads);
      if (response.succeeded) {
        const previous = response.responses[0]?.response_put.prev_kv;
        const revision = position(response.header.revision, 0);
        return { version: Number(previous?.version ?? 0) + 1, revision };
      }
      const seen = once && rangeAt(response, reads.length - 1);
      if (once && seen) return this.replay(valueKey, seen, once.fingerprint);
      throw refusal(response, options, lease?.id, grant);
    });
  }

  /**
   * A repeat of an idempotency key: nothing is written, and the first put's result is read back (its
   * record was written in the put's transaction, so its mod revision is the put's revision).
   */
  private async replay(valueKey: Buffer, seen: IKeyValue, fingerprint: string) {
    firstResult(seen, fingerprint);
    const revision = Number(seen.mod_revision);
    const { conn } = this.ctx;
    const atFirst = await conn.range('put', { key: valueKey, revision }).catch(() => undefined);
    const kv = atFirst?.kvs[0] ?? (await conn.range('put', { key: valueKey })).kvs[0];
    if (kv && Number(kv.mod_revision) === revision) {
      return { version: Number(kv.version), revision: position(revision, 0) };
    }
    throw storeError('put', new Error(`cannot replay the put of revision ${revision}: history compacted`));
  }

  /** A bound key names its lease by public id and app (cached; one more read on a miss). */
  get(key: string): Promise<KvEntry | undefined> {
    return this.ctx.open(async () => {
      const kv = (await this.ctx.conn.range('get', { key: this.ctx.keys.value(key) })).kvs[0];
      return kv ? this.entryOf(key, kv) : undefined;
    });
  }

  /** Deletes the value and its size entry. */
  delete(key: string): Promise<boolean> {
    return this.ctx.open(async () => {
      const { keys } = this.ctx;
      const deletes = [request.delete(keys.value(key)), request.delete(keys.valueSize(key))];
      const response = await this.ctx.conn.txn('delete', [], deletes);
      return Number(response.responses[0]?.response_delete_range.deleted ?? 0) > 0;
    });
  }

  /** One range read, which etcd answers in byte order (`after` + NUL is the first key past the cursor). */
  list(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]> {
    return this.ctx.open(async () => {
      const { keys } = this.ctx;
      const folder = keys.value(prefix);
      const past = after !== undefined && compareBytes(after, prefix) >= 0;
      const start = past ? Buffer.concat([keys.value(after), Buffer.from([0])]) : folder;
      const range = { key: start, range_end: prefixEnd(folder), limit };
      const response = await this.ctx.conn.range('listKeys', range);
      return Promise.all(response.kvs.map((kv) => this.entryOf(keys.valueName(kv.key), kv)));
    });
  }

  /** An entry naming its lease; a lease that ended since the read is left out. */
  private async entryOf(key: string, kv: IKeyValue): Promise<KvEntry> {
    const bound =
      kv.lease !== '0' && kv.lease !== '' ? await this.ctx.leases.findByEtcdId(kv.lease) : undefined;
    return {
      key,
      value: kv.value.toString(),
      version: Number(kv.version),
      revision: position(kv.mod_revision, 0),
      ...(bound === undefined ? {} : { leaseId: bound.id }),
      ...(bound?.app === undefined ? {} : { app: bound.app }),
    };
  }
}

/** Why a put's transaction failed, in the engine's order: fence, version, lease. */
function refusal(
  response: ITxnResponse,
  options: PutOptions,
  leaseId: string | undefined,
  grant: FenceCheck | undefined,
): LeaseholdError {
  const { fence, ifVersion } = options;
  if (fence && grant) {
    const held = rangeAt(response, 1);
    if (!held || grant.tokenOf(held) !== fence.token) return fenced(fence.token);
  }
  const current = Number(rangeAt(response, 0)?.version ?? 0);
  if (ifVersion !== undefined && current !== ifVersion) {
    const message = `ifVersion: expected ${ifVersion}, the key is at version ${current}`;
    return new LeaseholdError('VERSION_MISMATCH', message, { field: 'ifVersion' });
  }
  if (leaseId !== undefined) return leaseNotFound(leaseId);
  return storeError('put', new Error('transaction failed with every compare satisfied'));
}

function fenced(token: number): LeaseholdError {
  return new LeaseholdError(
    'FENCED',
    `fence: token ${token} is not a current grant of its lock or semaphore`,
    {
      field: 'fence',
    },
  );
}
