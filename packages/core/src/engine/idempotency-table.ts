import type { IdempotencyRow } from '../changes.js';
import type { Idempotency } from '../idempotency.js';
import { IDEMPOTENCY_WINDOW_MS, idempotencyKeyReused } from '../idempotency.js';
import type { Clock } from '../types.js';
import type { EngineSink } from './engine-sink.js';

interface Remembered {
  readonly fingerprint: string;
  readonly result: string;
  readonly expiresAt: number;
}

/**
 * The embedded store's idempotency keys: each op's first result, kept (and journaled) for
 * IDEMPOTENCY_WINDOW_MS. Every key gets the same window, so insertion order is expiry order and
 * pruning only ever looks at the oldest. A restored key's window restarts in full (never early).
 */
export class IdempotencyTable {
  private readonly remembered = new Map<string, Remembered>();

  constructor(
    private readonly clock: Clock,
    private readonly sink: EngineSink,
  ) {}

  /** Loads the journaled keys; each is remembered for a full window from now. */
  restore(rows: readonly IdempotencyRow[]): void {
    const expiresAt = this.clock.now() + IDEMPOTENCY_WINDOW_MS;
    for (const row of rows) this.remembered.set(row.key, { ...row, expiresAt });
  }

  /** The first result under this key, or undefined for a new one; IDEMPOTENCY_KEY_REUSED for another request. */
  replay(idempotency: Idempotency): string | undefined {
    this.prune();
    const first = this.remembered.get(idempotency.key);
    if (!first) return undefined;
    if (first.fingerprint !== idempotency.fingerprint) throw idempotencyKeyReused();
    return first.result;
  }

  /** Remembers an op's result under its key, journaled with the op's own changes. */
  record(idempotency: Idempotency, result: string): void {
    const { key, fingerprint } = idempotency;
    this.remembered.set(key, { fingerprint, result, expiresAt: this.clock.now() + IDEMPOTENCY_WINDOW_MS });
    this.sink.change({ kind: 'idempotency.put', row: { key, fingerprint, result } });
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.remembered) {
      if (entry.expiresAt > now) return;
      this.remembered.delete(key);
      this.sink.change({ kind: 'idempotency.delete', key });
    }
  }
}
