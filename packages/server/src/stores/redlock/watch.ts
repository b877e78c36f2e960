import type { Unsubscribe, WatchEvent, WatchOptions, WatchStore } from '@leasehold/core';
import { WatchHub } from '@leasehold/core';

/**
 * The change feed of a Redlock store: only the changes made through this server (the masters'
 * own event channels are not merged), numbered by this server's own rising revisions and kept
 * (the last 10 000) for resuming. Honest rather than whole: merging the masters' feeds would need
 * one revision order across independent masters, which Redlock does not have (see stores-redis.md).
 */
export class RedlockWatch implements WatchStore {
  /** Said to callers: in `capabilities` (`watchPerServer`) and at the start of an SSE watch. */
  readonly feed = 'server';
  private readonly hub = new WatchHub(10_000);
  private lastRevision = 0;

  subscribe(options: WatchOptions): Unsubscribe {
    return this.hub.subscribe(options);
  }

  /**
   * Publishes an event whose `revision` is a hint: the backend's revision where one is known (a
   * grant's token, a put's revision), else 0. It goes out with the next revision of this server,
   * which is at least the hint.
   */
  publish(event: WatchEvent): void {
    this.lastRevision = Math.max(this.lastRevision + 1, event.revision);
    this.hub.publish([{ ...event, revision: this.lastRevision }]);
  }

  /** Ends every watch. */
  close(): void {
    this.hub.close();
  }
}
