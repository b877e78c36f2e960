import type { KvRow } from './changes.js';
import { LeaseholdError } from './errors.js';
import type { EngineSink } from './lock-engine.js';
import type { KvEntry } from './types.js';

/**
 * The engine's key-value rows and counters. Lease bindings and fences are the engine's business;
 * this table keeps versions and revisions, and reports every change and event through the sink.
 */
export class KvTable {
  private readonly rows = new Map<string, KvRow>();
  private readonly counters = new Map<string, number>();

  constructor(
    private readonly sink: EngineSink,
    private readonly nextRevision: () => number,
  ) {}

  /** Loads rows and counters from a snapshot. */
  restore(rows: readonly KvRow[], counters: readonly { name: string; value: number }[]): void {
    for (const row of rows) this.rows.set(row.key, row);
    for (const { name, value } of counters) this.counters.set(name, value);
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
    leaseId: string | undefined,
  ): { row: KvRow; previous: KvRow | undefined } {
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
    this.sink.change({ kind: 'kv.put', row });
    this.sink.event({ type: 'put', key, revision, value, ...(leaseId === undefined ? {} : { leaseId }) });
    return { row, previous };
  }

  /** Deletes a key; returns the row it held. */
  remove(key: string): KvRow | undefined {
    const row = this.rows.get(key);
    if (!row) return undefined;
    this.rows.delete(key);
    this.sink.change({ kind: 'kv.delete', key });
    const leaseId = row.leaseId;
    this.sink.event({
      type: 'delete',
      key,
      revision: this.nextRevision(),
      ...(leaseId === undefined ? {} : { leaseId }),
    });
    return row;
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
    this.counters.set(name, value);
    this.sink.change({ kind: 'counter.put', name, value });
  }
}
