import { LeaseholdError } from '../errors.js';

/**
 * A watch asked to resume from a revision the store no longer retains: the changes between it and
 * `oldestRevision` are gone, so the watcher must reload a snapshot instead of resuming.
 */
export class WatchCompactedError extends LeaseholdError {
  override readonly name: string = 'WatchCompactedError';
  /** The oldest revision the store can still replay from. */
  readonly oldestRevision: number;

  constructor(oldestRevision: number, afterRevision?: number) {
    const asked = afterRevision === undefined ? '' : ` after revision ${afterRevision}`;
    super('WATCH_COMPACTED', `cannot resume${asked}: the oldest retained revision is ${oldestRevision}`);
    this.oldestRevision = oldestRevision;
  }
}
