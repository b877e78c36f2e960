import type { Redis } from 'ioredis';
import type { RetainedHistory, Unsubscribe, WatchEvent, WatchOptions, WatchStore } from '@leasehold/core';
import { LeaseholdError, resumeWatch, WatchHub } from '@leasehold/core';
import { watchEvent } from './replies.js';

type StreamEntry = [id: string, fields: string[]];

/**
 * The change feed of a `lock.redis` store. The scripts publish each event on the store's `events`
 * channel and append it to the capped stream `history` (id = revision) in the same script, so the
 * history is Redis's, the same for every server. A watch subscribes to the channel first, then
 * reads the stream after its revision, then joins the two by revision (`resumeWatch`). A resume
 * from before the stream's first entry ends with `WatchCompactedError`; a lost channel (Redis
 * connection closed) ends every watch with `UNAVAILABLE`, to be resumed from its last revision.
 */
export class RedisWatch implements WatchStore {
  private readonly hub = new WatchHub(0);
  private readonly channel: string;
  private readonly historyKey: string;
  private readonly revisionKey: string;
  private readonly failures = new Set<(error: LeaseholdError) => void>();
  private subscribing: Promise<void> | undefined;

  constructor(
    prefix: string,
    private readonly subscriber: Redis,
    private readonly command: Redis,
  ) {
    this.channel = `${prefix}events`;
    this.historyKey = `${prefix}history`;
    this.revisionKey = `${prefix}rev`;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const event = watchEvent(message);
      if (event) this.hub.publish([event]);
    });
    subscriber.on('close', () => this.lost());
  }

  /** Streams changes; resumes from Redis's own history, so on any server. */
  subscribe(options: WatchOptions): Unsubscribe {
    return resumeWatch(options, {
      live: (onEvent, fail) => {
        const stop = this.hub.subscribe({ prefix: options.prefix, onEvent });
        this.failures.add(fail);
        return {
          ready: this.subscribed(),
          stop: () => {
            this.failures.delete(fail);
            stop();
          },
        };
      },
      history: (afterRevision) => this.history(afterRevision),
    });
  }

  /** Ends every watch. */
  close(): void {
    this.failures.clear();
    this.hub.close();
  }

  /** Subscribed on first use; pub/sub delivers one channel in publish order, which is revision order. */
  private subscribed(): Promise<void> {
    this.subscribing ??= this.subscriber.subscribe(this.channel).then(
      () => undefined,
      (error: unknown) => {
        this.subscribing = undefined;
        throw error;
      },
    );
    return this.subscribing;
  }

  /** Events published while the channel was down are lost to it: each watch must resume. */
  private lost(): void {
    this.subscribing = undefined;
    const error = new LeaseholdError(
      'UNAVAILABLE',
      'the Redis event channel was lost; resume from the last revision',
    );
    for (const fail of [...this.failures]) fail(error);
  }

  /**
   * The stream after `afterRevision`, its first entry and the revision counter, read atomically.
   * Revisions before the first entry were trimmed (or came before the stream): not retained.
   */
  private async history(afterRevision: number): Promise<RetainedHistory> {
    const replies = await this.command
      .multi()
      .xrange(this.historyKey, `${afterRevision + 1}`, '+')
      .xrange(this.historyKey, '-', '+', 'COUNT', 1)
      .get(this.revisionKey)
      .exec();
    const [after, first, revision] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const firstId = (first as StreamEntry[] | undefined)?.[0]?.[0];
    const forgottenThrough = firstId === undefined ? Number(revision ?? 0) : revisionOf(firstId) - 1;
    const events: WatchEvent[] = [];
    for (const [, fields] of (after as StreamEntry[] | undefined) ?? []) {
      const event = fields[1] === undefined ? undefined : watchEvent(fields[1]);
      if (event) events.push(event);
    }
    return { events, forgottenThrough };
  }
}

function revisionOf(streamId: string): number {
  return Number(streamId.split('-')[0]);
}
