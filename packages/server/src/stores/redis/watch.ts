import type { Redis } from 'ioredis';
import type { Unsubscribe, WatchOptions, WatchStore } from '@leasehold/core';
import { WatchHub } from '@leasehold/core';
import { watchEvent } from './replies.js';

/**
 * The change feed of a `lock.redis` store: the scripts publish each event on the store's `events`
 * channel, and this server fans them out to its watchers (keeping the last 10 000 for resuming).
 */
export class RedisWatch implements WatchStore {
  private readonly hub = new WatchHub(10_000);
  private readonly channel: string;
  private subscribing: Promise<unknown> | undefined;

  constructor(
    prefix: string,
    private readonly subscriber: Redis,
  ) {
    this.channel = `${prefix}events`;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const event = watchEvent(message);
      if (event) this.hub.publish([event]);
    });
  }

  subscribe(options: WatchOptions): Unsubscribe {
    // Subscribed on first use; pub/sub delivers one channel in publish order, which is revision order.
    this.subscribing ??= this.subscriber.subscribe(this.channel).catch(() => (this.subscribing = undefined));
    return this.hub.subscribe(options);
  }

  /** Ends every watch. */
  close(): void {
    this.hub.close();
  }
}
