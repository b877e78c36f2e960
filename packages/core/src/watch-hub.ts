import type { Unsubscribe, WatchOptions } from './store.js';
import type { WatchEvent } from './types.js';

interface Subscriber {
  readonly prefix: string;
  readonly onEvent: (event: WatchEvent) => void;
}

/** Fans events out to prefix subscribers and keeps a bounded history for resuming. */
export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();
  private history: WatchEvent[] = [];

  constructor(private readonly historyLimit: number) {}

  /** Replays retained events after `afterRevision`, then delivers live ones. */
  subscribe(options: WatchOptions): Unsubscribe {
    const subscriber: Subscriber = { prefix: options.prefix, onEvent: options.onEvent };
    if (options.afterRevision !== undefined) {
      for (const event of this.history) {
        if (event.revision > options.afterRevision && event.key.startsWith(options.prefix))
          options.onEvent(event);
      }
    }
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /** Delivers events in order to every matching subscriber. */
  publish(events: readonly WatchEvent[]): void {
    if (this.historyLimit > 0) {
      for (const event of events) this.history.push(event);
      if (this.history.length > this.historyLimit * 2) this.history = this.history.slice(-this.historyLimit);
    }
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
}
