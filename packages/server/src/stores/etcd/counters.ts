import { storeError } from '@leasehold/core';
import type { CounterStore } from '@leasehold/core';
import { compare, rangeAt, request } from './etcd-connection.js';
import type { EtcdContext } from './etcd-context.js';

const ADD_ATTEMPTS = 100;

/**
 * The counters of a `lock.etcd` store: one key each, beside a mark in its scope's folder (counters by
 * scope, for usage). Adds are compare-and-swap on the key's mod revision.
 */
export class EtcdCounters implements CounterStore {
  constructor(private readonly ctx: EtcdContext) {}

  /** Retries on conflict, up to ADD_ATTEMPTS, each retry from the value the failed swap read. */
  add(name: string, delta: number): Promise<number> {
    return this.ctx.open(async () => {
      const key = this.ctx.keys.counter(name);
      let current = (await this.ctx.conn.range('counterAdd', { key })).kvs[0];
      for (let attempt = 0; attempt < ADD_ATTEMPTS; attempt++) {
        const value = Number(current?.value.toString() ?? 0) + delta;
        const response = await this.ctx.conn.txn(
          'counterAdd',
          [compare.modified(key, '=', current?.mod_revision ?? 0)],
          this.writes(name, value),
          [request.get(key)],
        );
        if (response.succeeded) return value;
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
