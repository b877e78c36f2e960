import { storeError } from '@leasehold/core';
import type { CounterStore, Idempotency } from '@leasehold/core';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';
import { firstResult, idempotencyOps } from './idempotency-lease.js';

const ADD_ATTEMPTS = 100;

/**
 * The counters of a `lock.etcd` store: one key each, beside a mark in its scope's folder (counters by
 * scope, for usage). Adds are compare-and-swap on the key's mod revision.
 */
export class EtcdCounters implements CounterStore {
  constructor(private readonly ctx: EtcdContext) {}

  /**
   * Retries on conflict, up to ADD_ATTEMPTS, each retry from the value the failed swap read. With an
   * idempotency key, its record (`<fingerprint> <value>`) is written in the swap, compared absent.
   */
  add(name: string, delta: number, idempotency?: Idempotency): Promise<number> {
    return this.ctx.open(async () => {
      const { ctx } = this;
      const key = ctx.keys.counter(name);
      let current = (await ctx.conn.range('counterAdd', { key })).kvs[0];
      for (let attempt = 0; attempt < ADD_ATTEMPTS; attempt++) {
        const value = Number(current?.value.toString() ?? 0) + delta;
        const compares = [compare.modified(key, '=', current?.mod_revision ?? 0)];
        const [writes, reads] = [this.writes(name, value), [request.get(key)]];
        if (idempotency) {
          const record = `${idempotency.fingerprint} ${value}`;
          const idem = await idempotencyOps(ctx.keys, ctx.idempotency, idempotency.key, record);
          compares.push(idem.compare);
          writes.push(idem.write);
          reads.push(idem.read);
        }
        const response = await ctx.conn.txn('counterAdd', compares, writes, reads);
        if (response.succeeded) return value;
        const seen = idempotency && rangeAt(response, 1);
        if (seen) return Number(firstResult(seen, idempotency.fingerprint));
        current = rangeAt(response, 0);
      }
      throw storeError('counterAdd', new Error(`still contended after ${ADD_ATTEMPTS} attempts`));
    });
  }

  /** Absent is 0. */
  get(name: string): Promise<number> {
    return this.ctx.open(async () => {
      const response = await this.ctx.conn.range('counterGet', { key: this.ctx.keys.counter(name) });
      return Number(response.kvs[0]?.value.toString() ?? 0);
    });
  }

  set(name: string, value: number): Promise<void> {
    return this.ctx.open(async () => {
      await this.ctx.conn.txn('counterSet', [], this.writes(name, value));
    });
  }

  /** The counter's new value and its scope mark. */
  private writes(name: string, value: number) {
    return [
      request.put(this.ctx.keys.counter(name), String(value)),
      request.put(this.ctx.keys.counterMark(name), ''),
    ];
  }
}
