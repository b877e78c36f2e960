import type { KvRow } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import type { PutOptions } from '../kv/kv-store.js';
import { fencedNoun } from '../key-scope.js';
import type { KvEntry } from '../types.js';
import type { Lease } from './engine-records.js';
import { keySetAdd, keySetDelete, keySetValues } from './key-set.js';
import type { KvTable } from './kv-table.js';
import type { LeaseTable } from './lease-table.js';
import type { LockTable } from './lock-table.js';

/**
 * Keys as the engine's leases and locks see them: a key written on a lease is listed on it, so
 * ending the lease deletes it, and a fenced write is checked against the lock table. The rows
 * themselves, their versions and revisions are the KvTable's.
 */
export class LeaseBoundKv {
  constructor(
    private readonly table: KvTable,
    private readonly leases: LeaseTable,
    /** Whatever a fence may name: a lock's grant or a semaphore's. */
    private readonly locks: Pick<LockTable, 'checkFence'>,
  ) {}

  /** Loads rows and counters from a snapshot and lists each bound key on its lease. */
  restore(rows: readonly KvRow[], counters: readonly { name: string; value: number }[]): void {
    this.table.restore(rows, counters);
    for (const row of rows) {
      const lease = row.leaseId === undefined ? undefined : this.leases.get(row.leaseId);
      if (lease) lease.keys = keySetAdd(lease.keys, row.key);
    }
  }

  /** Writes a value; the fence, version and lease are checked first, in that order. */
  put(options: PutOptions): { version: number; revision: number } {
    const fence = options.fence;
    if (fence && !this.locks.checkFence(fence.key, fence.token)) {
      throw new LeaseholdError(
        'FENCED',
        `fence: token ${fence.token} is not a current grant of its ${fencedNoun(fence.key)}`,
        { field: 'fence' },
      );
    }
    this.table.checkVersion(options.key, options.ifVersion);
    const lease =
      options.leaseId === undefined ? undefined : this.leases.require(options.leaseId, options.app);
    const { row, previous } = this.table.write(options.key, options.value, lease);
    if (previous?.leaseId !== undefined && previous.leaseId !== lease?.id) this.unbind(previous);
    if (lease) lease.keys = keySetAdd(lease.keys, row.key);
    return { version: row.version, revision: row.modRevision };
  }

  /** A key's value, with the app of the lease it is bound to. */
  get(key: string): KvEntry | undefined {
    const entry = this.table.get(key);
    const app = entry?.leaseId === undefined ? undefined : this.leases.get(entry.leaseId)?.app;
    return app === undefined || entry === undefined ? entry : { ...entry, app };
  }

  /** The first `limit` entries whose key starts with `prefix`, after `after` (exclusive), in byte order. */
  list(prefix: string, after: string | undefined, limit: number): KvEntry[] {
    return this.table.keys(prefix, after, limit).flatMap((key) => this.get(key) ?? []);
  }

  /** Deletes a key and takes it off its lease; false when it was absent. */
  delete(key: string): boolean {
    const leaseId = this.table.row(key)?.leaseId;
    const row = this.table.remove(key, leaseId === undefined ? undefined : this.leases.get(leaseId)?.app);
    if (row) this.unbind(row);
    return row !== undefined;
  }

  /** Deletes every key bound to `lease`, which is ending: its own list is left as it is. */
  deleteBoundTo(lease: Lease): void {
    for (const key of keySetValues(lease.keys)) this.table.remove(key, lease.app);
  }

  /** Takes a key off the list of the lease it was bound to. */
  private unbind(row: KvRow): void {
    const lease = row.leaseId === undefined ? undefined : this.leases.get(row.leaseId);
    if (lease) lease.keys = keySetDelete(lease.keys, row.key);
  }
}
