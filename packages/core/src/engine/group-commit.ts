import type { Change, Journal } from '../changes.js';
import { storeError } from '../errors.js';
import type { LeaseholdError } from '../errors.js';
import type { WatchEvent } from '../types.js';

/** Releases one reply or hand-off; it reads `GroupCommit.failure` to decide how. */
export type Settle = () => void;

interface Batch {
  changes: Change[];
  events: WatchEvent[];
  settles: Settle[];
}

const emptyBatch = (): Batch => ({ changes: [], events: [], settles: [] });

/**
 * Group commit over a Journal. The changes of one event-loop turn form one batch and one commit.
 * At most one commit is in flight: changes made meanwhile form the next batch, committed as soon as
 * the first resolves, so batches reach the journal in order. A batch's replies, hand-offs and watch
 * events are released only after its commit resolves; after a failed commit nothing is committed or
 * published again and every settle sees `failure`.
 */
export class GroupCommit {
  private open = emptyBatch();
  private scheduled = false;
  private inFlight: Promise<void> | undefined;
  private failed: LeaseholdError | undefined;

  constructor(
    private readonly journal: Journal | undefined,
    private readonly publish: (events: WatchEvent[]) => void,
  ) {}

  /** The STORE_ERROR of the commit that failed, if one did; the store is closed for good. */
  get failure(): LeaseholdError | undefined {
    return this.failed;
  }

  /**
   * True while some state already applied in memory is not yet durable. Counts changes recorded by
   * a step still running: a release hands its lock to a waiter before the step returns.
   */
  get pending(): boolean {
    return this.open.changes.length > 0 || this.scheduled || this.inFlight !== undefined;
  }

  /** Records an engine change; without a journal there is nothing to make durable. */
  change(change: Change): void {
    if (this.journal) this.open.changes.push(change);
  }

  /** Records an engine watch event, to publish with the batch that makes it true. */
  event(event: WatchEvent): void {
    this.open.events.push(event);
  }

  /** Forgets recorded events (those of a snapshot being restored: nobody was watching). */
  dropEvents(): void {
    this.open.events = [];
  }

  /** Call after each engine step: schedules the turn's commit, or publishes at once if nothing waits. */
  afterStep(): void {
    if (this.open.changes.length > 0 && !this.scheduled && !this.inFlight) {
      this.scheduled = true;
      setImmediate(() => {
        if (this.scheduled) this.flush();
      });
    }
    if (!this.pending && this.open.events.length > 0) {
      const events = this.open.events;
      this.open.events = [];
      this.publish(events);
    }
  }

  /** Runs `settle` once everything applied so far is durable: at once when nothing is pending. */
  afterDurable(settle: Settle): void {
    if (this.pending) this.open.settles.push(settle);
    else settle();
  }

  /** Commits what is pending now and waits until no commit is in flight. */
  async drain(): Promise<void> {
    if (!this.inFlight) this.flush();
    while (this.inFlight) await this.inFlight;
  }

  /** Starts committing the open batch; the next one starts when this one resolves. */
  private flush(): void {
    this.scheduled = false;
    const batch = this.open;
    this.open = emptyBatch();
    if (batch.changes.length === 0 || this.failed || !this.journal) {
      this.release(batch);
      return;
    }
    this.inFlight = this.commit(this.journal, batch.changes).then(() => {
      this.inFlight = undefined;
      this.release(batch);
      const next = this.open;
      if (next.changes.length > 0 || next.settles.length > 0 || next.events.length > 0) this.flush();
    });
  }

  /** Never rejects: a failure is recorded instead, since memory and disk may now disagree. */
  private commit(journal: Journal, changes: readonly Change[]): Promise<void> {
    let committing: Promise<void>;
    try {
      committing = journal.commit(changes);
    } catch (error) {
      committing = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return committing.then(undefined, (error: unknown) => {
      this.failed = storeError('commit', error);
    });
  }

  private release(batch: Batch): void {
    if (!this.failed && batch.events.length > 0) this.publish(batch.events);
    for (const settle of batch.settles) settle();
  }
}
