import type { KvRow } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import { scopeOfKey } from '../key-scope.js';
import type { EngineSink } from './engine-sink.js';
import { SortedKeys, compareBytes } from '../sorted-keys.js';
import type { KvEntry } from '../types.js';

/** What one key scope holds: keys, their value bytes, and counters. */
interface ScopeUsage {
  keys: number;
  keyBytes: number;
  counters: number;
}

/**
 * The engine's key-value rows and counters. Lease bindings and fences are the engine's business;
 * this table keeps versions and revisions, and reports every change and event through the sink.
 */
export class KvTable {
  private readonly rows = new Map<string, KvRow>();
  /** The keys of `rows` in byte order, for listing by prefix. */
  private readonly order = new SortedKeys();
  private readonly counters = new Map<string, number>();
  private readonly usageByScope = new Map<string, ScopeUsage>();

  constructor(
    private readonly sink: EngineSink,
    private readonly nextRevision: () => number,
  ) {}

  /** Loads rows and counters from a snapshot. */
  restore(rows: readonly KvRow[], counters: readonly { name: string; value: number }[]): void {
    for (const row of rows) {
      this.rows.set(row.key, row);
      this.count(row.key, 1, byteLength(row.value));
    }
    this.order.load([...this.rows.keys()]);
    for (const { name, value } of counters) {
      this.counters.set(name, value);
      this.scopeUsage(name).counters++;
    }
  }

  /** What a key scope holds. */
  usage(scope: string): Readonly<ScopeUsage> {
    return this.usageByScope.get(scope) ?? { keys: 0, keyBytes: 0, counters: 0 };
  }

  /** The UTF-8 size of a key's value; undefined when absent. */
  valueBytes(key: string): number | undefined {
    const row = this.rows.get(key);
    return row ? byteLength(row.value) : undefined;
  }

  /** True when the counter has been written. */
  hasCounter(name: string): boolean {
    return this.counters.has(name);
  }

  /** The stored row of a key. */
  row(key: string): KvRow | undefined {
    return this.rows.get(key);
  }

  /** Throws VERSION_MISMATCH unless the key is at `ifVersion` (0: absent). */
  checkVersion(key: string, ifVersion: number | undefined): void {
    const version = this.rows.get(key)?.version ?? 0;
    if (ifVersion !== undefined && version !== ifVersion) {
      throw new LeaseholdError(
        'VERSION_MISMATCH',
        `ifVersion: expected ${ifVersion}, the key is at version ${version}`,
        {
          field: 'ifVersion',
        },
      );
    }
  }

  /** Writes a value at a new revision; returns the new row and the one it replaced. */
  write(
    key: string,
    value: string,
    lease: { id: string; app: string } | undefined,
  ): { row: KvRow; previous: KvRow | undefined } {
    const leaseId = lease?.id;
    const previous = this.rows.get(key);
    const revision = this.nextRevision();
    const row: KvRow = {
      key,
      value,
      version: (previous?.version ?? 0) + 1,
      createRevision: previous?.createRevision ?? revision,
      modRevision: revision,
      ...(leaseId === undefined ? {} : { leaseId }),
    };
    this.rows.set(key, row);
    if (previous) this.count(key, -1, -byteLength(previous.value));
    else this.order.add(key);
    this.count(key, 1, byteLength(value));
    this.sink.change({ kind: 'kv.put', row });
    this.sink.event({
      type: 'put',
      key,
      revision,
      value,
      ...(lease === undefined ? {} : { leaseId: lease.id, app: lease.app }),
    });
    return { row, previous };
  }

  /** Deletes a key; returns the row it held. `app` is the app of its lease, for the event. */
  remove(key: string, app: string | undefined): KvRow | undefined {
    const row = this.rows.get(key);
    if (!row) return undefined;
    this.rows.delete(key);
    this.order.delete(key);
    this.count(key, -1, -byteLength(row.value));
    this.sink.change({ kind: 'kv.delete', key });
    const leaseId = row.leaseId;
    this.sink.event({
      type: 'delete',
      key,
      revision: this.nextRevision(),
      ...(leaseId === undefined ? {} : { leaseId }),
      ...(app === undefined ? {} : { app }),
    });
    return row;
  }

  /** The first `limit` keys starting with `prefix`, after `after` (exclusive) when given, in byte order. */
  keys(prefix: string, after: string | undefined, limit: number): string[] {
    const exclusive = after !== undefined && compareBytes(after, prefix) >= 0;
    const out: string[] = [];
    for (const key of this.order.from(exclusive ? after : prefix, exclusive)) {
      if (out.length >= limit || !key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }

  /** A key's value as clients see it. */
  get(key: string): KvEntry | undefined {
    const row = this.rows.get(key);
    if (!row) return undefined;
    return {
      key: row.key,
      value: row.value,
      version: row.version,
      revision: row.modRevision,
      ...(row.leaseId === undefined ? {} : { leaseId: row.leaseId }),
    };
  }

  counterAdd(name: string, delta: number): number {
    const value = (this.counters.get(name) ?? 0) + delta;
    this.counterSet(name, value);
    return value;
  }

  counterGet(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  counterSet(name: string, value: number): void {
    if (!this.counters.has(name)) this.scopeUsage(name).counters++;
    this.counters.set(name, value);
    this.sink.change({ kind: 'counter.put', name, value });
  }

  private count(key: string, keys: number, bytes: number): void {
    const usage = this.scopeUsage(key);
    usage.keys += keys;
    usage.keyBytes += bytes;
  }

  private scopeUsage(storeKey: string): ScopeUsage {
    const scope = scopeOfKey(storeKey);
    let usage = this.usageByScope.get(scope);
    if (!usage) this.usageByScope.set(scope, (usage = { keys: 0, keyBytes: 0, counters: 0 }));
    return usage;
  }
}

function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}
