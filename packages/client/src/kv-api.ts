import { Lease } from './lease.js';
import { LockHandle } from './lock-handle.js';
import type { Transport } from './transport.js';
import { newIdempotencyKey } from './transport.js';
import { badArgument } from './errors.js';
import { compact, requireString } from './validate.js';

/** A fence: the write applies only while the lock's current grant, or one of the semaphore's or read/write lock's grants, has this token. */
export type FenceInput =
  | LockHandle
  | { readonly lock: string; readonly token: number }
  | { readonly semaphore: string; readonly token: number }
  | { readonly rwlock: string; readonly token: number };

/** Options of a put. */
export interface PutOptions {
  /** Deletes the key when this lease ends. */
  readonly lease?: Lease | string;
  /** Writes only if the key's version is this (0: only if absent). */
  readonly ifVersion?: number;
  readonly fence?: FenceInput;
  /**
   * Applies the put at most once within the server's window (10 min), across this call's retries and
   * any later call with the same key. Default: a fresh key per call (crypto.randomUUID).
   */
  readonly idempotencyKey?: string;
}

/** Options of `counters.add`. */
export interface AddOptions {
  /** As PutOptions.idempotencyKey: at most once within the server's window; default a fresh key per call. */
  readonly idempotencyKey?: string;
}

/** A stored entry. */
export interface KvEntry {
  readonly key: string;
  readonly value: string;
  readonly version: number;
  readonly revision: number;
  readonly leaseId?: string;
}

/** Options of `kv.list`. */
export interface KvListOptions {
  /** Most entries in the page: the server's default is 100, its maximum 1000. */
  readonly limit?: number;
  /** Lists names after this one (exclusive): the `next` of the page before. */
  readonly after?: string;
}

/** One page of `kv.list`, sorted by the UTF-8 bytes of the name. */
export interface KvPage {
  readonly entries: KvEntry[];
  /** True when more entries follow: ask again with `after: next`. */
  readonly more: boolean;
  readonly next?: string;
}

function fenceOf(
  fence: FenceInput | undefined,
):
  | { lock: string; token: number }
  | { semaphore: string; token: number }
  | { rwlock: string; token: number }
  | undefined {
  if (fence === undefined) return undefined;
  if (fence instanceof LockHandle) {
    if (!fence.acquired || fence.fencingToken === undefined)
      throw badArgument('fence', 'lock was not acquired');
    return { lock: fence.name, token: fence.fencingToken };
  }
  if ('semaphore' in fence) return { semaphore: fence.semaphore, token: fence.token };
  if ('rwlock' in fence) return { rwlock: fence.rwlock, token: fence.token };
  return { lock: fence.lock, token: fence.token };
}

/** `client.kv`: values, optionally lease-bound, version-checked and fenced. */
export class KvApi {
  constructor(private readonly transport: Transport) {}

  /**
   * Writes a value; FencedError / VersionMismatchError change nothing. Sent with an idempotency key,
   * so a retry after a lost reply returns the first result instead of writing again.
   */
  put(key: string, value: string, options: PutOptions = {}): Promise<{ version: number; revision: number }> {
    if (typeof value !== 'string') throw badArgument('value', 'must be a string');
    const leaseId = options.lease instanceof Lease ? options.lease.id : options.lease;
    return this.transport.call(
      'kv.put',
      compact({
        key: requireString('key', key),
        value,
        leaseId,
        ifVersion: options.ifVersion,
        fence: fenceOf(options.fence),
        idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
      }),
    );
  }

  /** Reads a value; KeyNotFoundError when absent. */
  get(key: string): Promise<KvEntry> {
    return this.transport.call('kv.get', { key: requireString('key', key) });
  }

  /** Lists the entries whose name starts with `prefix` ('' for all), one page at a time. */
  list(prefix = '', options: KvListOptions = {}): Promise<KvPage> {
    if (typeof prefix !== 'string') throw badArgument('prefix', 'must be a string');
    return this.transport.call('kv.list', compact({ prefix, limit: options.limit, after: options.after }));
  }

  /** Every entry under `prefix` in name order, fetching a page of `pageSize` whenever the loop needs one. */
  async *entries(prefix = '', options: { readonly pageSize?: number } = {}): AsyncGenerator<KvEntry> {
    let after: string | undefined;
    for (;;) {
      const page = await this.list(prefix, {
        ...(options.pageSize === undefined ? {} : { limit: options.pageSize }),
        ...(after === undefined ? {} : { after }),
      });
      yield* page.entries;
      if (!page.more || page.next === undefined) return;
      after = page.next;
    }
  }

  /** Deletes a value; KeyNotFoundError when absent. */
  delete(key: string): Promise<{ deleted: boolean }> {
    return this.transport.call('kv.delete', { key: requireString('key', key) });
  }
}

/** `client.counters`: atomic integer counters. */
export class CountersApi {
  constructor(private readonly transport: Transport) {}

  /** Adds `delta` (absent counts as 0) and returns the new value; a retry adds nothing more (idempotency key). */
  async add(name: string, delta = 1, options: AddOptions = {}): Promise<number> {
    const reply = await this.transport.call<{ value: number }>('counters.add', {
      name: requireString('name', name),
      delta,
      idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
    });
    return reply.value;
  }

  /** Reads a counter (absent counts as 0). */
  async get(name: string): Promise<number> {
    const reply = await this.transport.call<{ value: number }>('counters.get', {
      name: requireString('name', name),
    });
    return reply.value;
  }

  /** Sets a counter. */
  async set(name: string, value: number): Promise<number> {
    const reply = await this.transport.call<{ value: number }>('counters.set', {
      name: requireString('name', name),
      value,
    });
    return reply.value;
  }
}
