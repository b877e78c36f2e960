import type { Unsubscribe, WatchOptions } from './store.js';
import type { WatchEvent } from './types.js';
import { WatchCompactedError } from './watch/watch-compacted.js';

interface Subscriber {
  readonly prefix: string;
  readonly onEvent: (event: WatchEvent) => void;
}

/**
 * Fans events out to prefix subscribers and keeps a bounded history for resuming. The hub knows
 * the last revision it no longer retains, so a resume from before it ends with an error instead
 * of replaying a history with a hole in it.
 */
export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();
  private history: WatchEvent[] = [];
  /** Events at or below this revision may have been dropped (or were never seen). */
  private forgottenThrough = 0;

  constructor(private readonly historyLimit: number) {}

  /** Declares that nothing at or below `revision` is retained (a store restored from a snapshot). */
  startAt(revision: number): void {
    this.forgottenThrough = Math.max(this.forgottenThrough, revision);
  }

  /**
   * Replays retained events after `afterRevision`, then delivers live ones; live at once. A resume
   * from before the retained history ends at once with a `WatchCompactedError`.
   */
  subscribe(options: WatchOptions): Unsubscribe {
    const { afterRevision } = options;
    if (afterRevision !== undefined && afterRevision < this.forgottenThrough) {
      options.onError?.(new WatchCompactedError(this.forgottenThrough + 1, afterRevision));
      return () => undefined;
    }
    const subscriber: Subscriber = { prefix: options.prefix, onEvent: options.onEvent };
    if (afterRevision !== undefined) {
      for (const event of this.history) {
        if (event.revision > afterRevision && event.key.startsWith(options.prefix)) options.onEvent(event);
      }
    }
    this.subscribers.add(subscriber);
    options.onLive?.();
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /** Delivers events in order to every matching subscriber. */
  publish(events: readonly WatchEvent[]): void {
    this.retain(events);
    if (this.subscribers.size === 0) return;
    for (const event of events) {
      for (const subscriber of this.subscribers) {
        if (event.key.startsWith(subscriber.prefix)) subscriber.onEvent(event);
      }
    }
  }

  /** Drops every subscriber. */
  close(): void {
    this.subscribers.clear();
    this.history = [];
  }

  private retain(events: readonly WatchEvent[]): void {
    if (this.historyLimit <= 0) {
      const last = events.at(-1);
      if (last) this.forgottenThrough = Math.max(this.forgottenThrough, last.revision);
      return;
    }
    for (const event of events) this.history.push(event);
    // Trimmed in halves so the copy is amortised; the last event dropped marks the horizon.
    if (this.history.length > this.historyLimit * 2) {
      const dropped = this.history.length - this.historyLimit;
      this.forgottenThrough = Math.max(this.forgottenThrough, this.history[dropped - 1]!.revision);
      this.history = this.history.slice(dropped);
    }
  }
}
